-- One worker cycle: settles finished jobs (complete, retry later, or dead), promotes due
-- delayed jobs, reclaims expired leases, then leases up to N pending jobs to this worker.
-- Every settlement checks the job's lease token, so a worker that lost its lease cannot touch
-- the job. Attempts are counted here, at lease time, so a job that kills its worker still ends
-- dead after its last attempt. The common path (completions and leases) costs a fixed number
-- of variadic calls per cycle, whatever the batch size.
-- Atomicity: one script.
-- KEYS[1]   the queue's base name
-- ARGV[1]   N (jobs to lease)   ARGV[2] lease (ms)   ARGV[3] this cycle's lease token
-- ARGV[4]   dead set cap (0: none)   ARGV[5] completed jobs kept (count; 0: none)
-- ARGV[6]   completed jobs kept (ms; 0: no age limit)   ARGV[7] settlements that follow
-- ARGV[8..] per settlement, 5 values: id, token, outcome (c complete | f failed), retry
--           delay (ms, when failed), error (when failed)
-- ARGV[8 + 5 × settlements] optional: '1' to end the reply with the leases' end
-- Reply     {ms until the next delayed job is due or lease ends (by the store's clock, so
--           a worker's own clock does not matter; -1: none),
--           {per settlement: 1 settled | 2 failed and dead (its last attempt) | 0 lease lost},
--           then per leased job: id, packed data (see lib/queue.lua), attempts,
--           then, when asked, the leases' end (ms since the epoch, by the store's clock)}
-- Cost      O((s + m + N) log n), s settlements, m housekeeping moves (at most 100 each).
-- #include queue/lib/queue.lua

local base = KEYS[1]
local n, lease, token = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local dead_cap, keep, keep_ms = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local count = tonumber(ARGV[7])
local with_end = ARGV[8 + 5 * count] == '1'
local now = now_ms()

-- Settlements: the runs of the whole batch are read at once; the held ones leave :active
-- together.
local settled = {}
if count > 0 then
  local ids = {}
  for a = 8, 7 + 5 * count, 5 do ids[#ids + 1] = ARGV[a] end
  local runs = hmget_all(base .. ':run', ids)
  local held, done, done_attempts, failed, seen = {}, {}, {}, {}, {}
  for i = 1, count do
    local a = 3 + 5 * i
    local attempts, holder = run_of(runs[i])
    -- (a batch names a job twice only if it was settled twice: the first one counts)
    if holder and holder == ARGV[a + 1] and not seen[ids[i]] then
      seen[ids[i]] = true
      settled[i] = 1
      held[#held + 1] = ids[i]
      if ARGV[a + 2] == 'c' then
        done[#done + 1] = ids[i]
        done_attempts[#done] = attempts
      else
        failed[#failed + 1] = {a, attempts, i}
      end
    else
      settled[i] = 0
    end
  end
  variadic('ZREM', base .. ':active', held)
  if #done > 0 then
    redis.call('HINCRBY', base .. ':stats', 'completed', #done)
    if keep > 0 or keep_ms > 0 then
      local entries, counts = {}, {}
      for i, id in ipairs(done) do
        entries[#entries + 1] = now
        entries[#entries + 1] = id
        counts[#counts + 1] = id
        counts[#counts + 1] = done_attempts[i]
      end
      variadic('HSET', base .. ':run', counts)  -- the lease is gone
      variadic('ZADD', base .. ':done', entries)
      local drop = {}
      if keep_ms > 0 then
        drop = redis.call('ZRANGEBYSCORE', base .. ':done', '-inf', now - keep_ms, 'LIMIT', 0, 100)
      end
      local excess = redis.call('ZCARD', base .. ':done') - #drop - keep
      if keep > 0 and excess > 0 then
        for _, old in ipairs(redis.call('ZRANGE', base .. ':done', #drop, #drop + excess - 1)) do
          drop[#drop + 1] = old
        end
      end
      variadic('ZREM', base .. ':done', drop)
      forget(base, drop)
    else
      forget(base, done)
    end
  end
  if #failed > 0 then
    redis.call('HINCRBY', base .. ':stats', 'failed', #failed)
    for _, f in ipairs(failed) do
      local a, attempts = f[1], f[2]
      local id, err = ARGV[a], ARGV[a + 4]
      redis.call('HSET', base .. ':run', id, attempts)  -- the lease is gone
      local _, max_attempts = data_limits(redis.call('HGET', base .. ':data', id))
      if attempts >= max_attempts then
        make_dead(base, id, now, err, dead_cap)
        settled[f[3]] = 2
      else
        redis.call('ZADD', base .. ':delayed', now + tonumber(ARGV[a + 3]), id)
        redis.call('HSET', base .. ':error', id, err)
      end
    end
  end
end

local due = housekeeping(base, now, 100, dead_cap)

local reply = {0, settled}
if n > 0 and redis.call('EXISTS', base .. ':paused') == 0 then
  -- (ZRANGE and ZREMRANGEBYRANK rather than ZPOPMIN: formatting the scores costs more)
  local ids = redis.call('ZRANGE', base .. ':pending', 0, n - 1)
  if #ids > 0 then
    redis.call('ZREMRANGEBYRANK', base .. ':pending', 0, #ids - 1)
    local data, runs = hmget_all(base .. ':data', ids), hmget_all(base .. ':run', ids)
    local ends = tostring(now + lease)
    local leased, leases = {}, {}
    for i = 1, #ids do
      local id, attempts = ids[i], run_of(runs[i]) + 1
      leased[#leased + 1] = id
      leased[#leased + 1] = attempts .. '|' .. token
      leases[#leases + 1] = ends
      leases[#leases + 1] = id
      reply[#reply + 1] = id
      reply[#reply + 1] = data[i] or ''
      reply[#reply + 1] = attempts
    end
    variadic('HSET', base .. ':run', leased)
    variadic('ZADD', base .. ':active', leases)
    if due < 0 or now + lease < due then due = now + lease end
  end
end
-- The wait until the next delayed job is due or lease ends (ms; -1: none), not the time: the
-- worker's clock may differ from the store's.
if due >= 0 then reply[1] = math.max(0, due - now) else reply[1] = -1 end
if with_end then reply[#reply + 1] = now + lease end
return reply
