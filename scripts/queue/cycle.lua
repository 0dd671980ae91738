-- One worker cycle: settles finished jobs (complete, retry later, or dead), promotes due
-- delayed jobs, reclaims expired leases, then leases up to N pending jobs to this worker.
-- Every settlement checks the job's lease token, so a worker that lost its lease cannot touch
-- the job. Attempts are counted here, at lease time, so a job that kills its worker still ends
-- dead after its last attempt.
-- Atomicity: one script.
-- KEYS[1]   the queue's base name
-- ARGV[1]   N (jobs to lease)   ARGV[2] lease (ms)   ARGV[3] this cycle's lease token
-- ARGV[4]   dead set cap (0: none)   ARGV[5] completed jobs kept (count; 0: none)
-- ARGV[6]   completed jobs kept (ms; 0: no age limit)   ARGV[7] settlements that follow
-- ARGV[8..] per settlement, 5 values: id, token, outcome (c complete | f failed), retry
--           delay (ms, when failed), error (when failed)
-- Reply     {ms until the next delayed job is due or lease ends (by the store's clock, so
--           a worker's own clock does not matter; -1: none),
--           {settled: 1|0 per settlement (0: lease lost)},
--           then per leased job: id, type, payload, attempts, max attempts, timeout (ms),
--           created (ms)}
-- Cost      O((s + m + N) log n), s settlements, m housekeeping moves (at most 100 each).
-- #include queue/lib/queue.lua

local base = KEYS[1]
local n, lease, token = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local dead_cap, keep, keep_ms = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local now = now_ms()

-- Settlements; what every job needs (ZREM from :active, DEL, the completed count) is done once
-- for the whole batch.
local settled, gone, dels, completed = {}, {}, {}, 0
for a = 8, 7 + 5 * tonumber(ARGV[7]), 5 do
  local id, tok, outcome = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  local key = job_key(base, id)
  local j = redis.call('HMGET', key, 'state', 'token', 'attempts', 'max_attempts')
  if j[1] ~= 'active' or j[2] ~= tok then
    settled[#settled + 1] = 0
  else
    settled[#settled + 1] = 1
    gone[#gone + 1] = id
    if outcome == 'c' then
      completed = completed + 1
      if keep > 0 or keep_ms > 0 then
        redis.call('HSET', key, 'state', 'completed', 'token', '', 'finished', now)
        redis.call('ZADD', base .. ':done', now, id)
        local drop = {}
        if keep_ms > 0 then
          for _, old in ipairs(redis.call('ZRANGEBYSCORE', base .. ':done', '-inf', now - keep_ms, 'LIMIT', 0, 100)) do
            drop[#drop + 1] = old
          end
        end
        local excess = redis.call('ZCARD', base .. ':done') - #drop - keep
        if keep > 0 and excess > 0 then
          for _, old in ipairs(redis.call('ZRANGE', base .. ':done', #drop, #drop + excess - 1)) do
            drop[#drop + 1] = old
          end
        end
        for _, old in ipairs(drop) do
          redis.call('ZREM', base .. ':done', old)
          redis.call('DEL', job_key(base, old))
        end
      else
        dels[#dels + 1] = key
      end
    else
      redis.call('HINCRBY', base .. ':stats', 'failed', 1)
      local err = ARGV[a + 4]
      if tonumber(j[3]) >= tonumber(j[4]) then
        make_dead(base, id, now, err, dead_cap)
      else
        redis.call('ZADD', base .. ':delayed', now + tonumber(ARGV[a + 3]), id)
        redis.call('HSET', key, 'state', 'failed', 'token', '', 'error', err)
      end
    end
  end
end
if #gone > 0 then redis.call('ZREM', base .. ':active', unpack(gone)) end
if #dels > 0 then redis.call('DEL', unpack(dels)) end
if completed > 0 then redis.call('HINCRBY', base .. ':stats', 'completed', completed) end

housekeeping(base, now, 100, dead_cap)

local reply = {0, settled}
if n > 0 and redis.call('EXISTS', base .. ':paused') == 0 then
  local popped = redis.call('ZPOPMIN', base .. ':pending', n)  -- id, score, id, score, ...
  local leases = {}
  for i = 1, #popped, 2 do
    local id = popped[i]
    local key = job_key(base, id)
    local j = redis.call('HMGET', key, 'type', 'payload', 'max_attempts', 'timeout', 'created',
                         'attempts')
    local attempts = (tonumber(j[6]) or 0) + 1
    redis.call('HSET', key, 'state', 'active', 'token', token, 'attempts', attempts)
    leases[#leases + 1] = now + lease
    leases[#leases + 1] = id
    for _, x in ipairs({id, j[1], j[2], attempts, j[3], tonumber(j[4]) or 0, j[5]}) do
      reply[#reply + 1] = x
    end
  end
  if #leases > 0 then redis.call('ZADD', base .. ':active', unpack(leases)) end
end
-- The wait until the next delayed job is due or lease ends (ms; -1: none), not the time: the
-- worker's clock may differ from the store's.
local due = next_due(base)
if due >= 0 then reply[1] = math.max(0, due - now) else reply[1] = -1 end
return reply
