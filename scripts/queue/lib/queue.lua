-- Shared by the queue scripts (included, not called on its own).
-- A queue's keys all start with its base name `<prefix>:q:{<queue>}`:
--   :j:<id>   hash: type, payload, priority, max_attempts, attempts, timeout, created, state,
--             token, error, finished
--   :pending  sorted set, score = priority * 2^33 + sequence (lower first, FIFO within one)
--   :delayed  sorted set, score = the time it becomes due (ms): delayed jobs, and failed ones
--             waiting for their retry
--   :active   sorted set, score = the lease's end (ms)
--   :dead     sorted set, score = when it died (ms)
--   :done     sorted set of kept completed jobs, score = when they finished (ms)
--   :seq (counter), :stats (hash: completed, failed, dead), :paused (exists while paused)
--   channel :wake, published to when jobs become available.
local SEQ_SPAN = 8589934592  -- 2^33

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function job_key(base, id) return base .. ':j:' .. id end

-- Files job `id` as pending behind the jobs of its priority.
local function make_pending(base, id, priority)
  local seq = redis.call('INCR', base .. ':seq')
  redis.call('ZADD', base .. ':pending', priority * SEQ_SPAN + seq, id)
  redis.call('HSET', job_key(base, id), 'state', 'pending', 'token', '')
end

-- Moves job `id` to the dead set (capped at `cap`, oldest dropped with their data).
local function make_dead(base, id, now, err, cap)
  redis.call('ZADD', base .. ':dead', now, id)
  redis.call('HSET', job_key(base, id), 'state', 'dead', 'token', '', 'error', err, 'finished', now)
  redis.call('HINCRBY', base .. ':stats', 'dead', 1)
  local excess = redis.call('ZCARD', base .. ':dead') - cap
  if cap > 0 and excess > 0 then
    for _, old in ipairs(redis.call('ZRANGE', base .. ':dead', 0, excess - 1)) do
      redis.call('DEL', job_key(base, old))
    end
    redis.call('ZREMRANGEBYRANK', base .. ':dead', 0, excess - 1)
  end
end

-- Promotes due delayed jobs and reclaims expired leases (at most `limit` of each); returns how
-- many jobs became pending.
local function housekeeping(base, now, limit, dead_cap)
  local moved = 0
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', base .. ':delayed', '-inf', now, 'LIMIT', 0, limit)) do
    redis.call('ZREM', base .. ':delayed', id)
    make_pending(base, id, tonumber(redis.call('HGET', job_key(base, id), 'priority')) or 0)
    moved = moved + 1
  end
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', base .. ':active', '-inf', now, 'LIMIT', 0, limit)) do
    redis.call('ZREM', base .. ':active', id)
    local j = redis.call('HMGET', job_key(base, id), 'attempts', 'max_attempts', 'priority')
    if tonumber(j[1] or 0) >= tonumber(j[2] or 1) then
      make_dead(base, id, now, 'lease expired (worker lost) after the last attempt', dead_cap)
    else
      make_pending(base, id, tonumber(j[3]) or 0)
      moved = moved + 1
    end
  end
  return moved
end

-- When the next delayed job is due or the next lease ends (ms), or -1.
local function next_due(base)
  local d = redis.call('ZRANGE', base .. ':delayed', 0, 0, 'WITHSCORES')
  local a = redis.call('ZRANGE', base .. ':active', 0, 0, 'WITHSCORES')
  local t = -1
  if d[2] then t = tonumber(d[2]) end
  if a[2] and (t < 0 or tonumber(a[2]) < t) then t = tonumber(a[2]) end
  return t
end
