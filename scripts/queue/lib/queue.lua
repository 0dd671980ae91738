-- Shared by the queue scripts (included, not called on its own).
-- A queue's keys all start with its base name `<prefix>:q:{<queue>}`. Per-job state lives in
-- per-queue hashes keyed by job id, so a script touches a batch of jobs with one variadic call
-- per structure instead of a few calls per job:
--   :data     hash id -> the job's fixed fields, packed (see pack_data): priority, max
--             attempts, timeout, created, type, payload. A job exists while it has data.
--   :run      hash id -> `attempts` (runs begun, counted at lease time; absent: 0), or
--             `attempts|token` while a worker holds its lease (token: that worker's)
--   :error    hash id -> the last run's error; absent: none
--   :pending  sorted set, score = priority * 2^33 + sequence (lower first, FIFO within one)
--   :delayed  sorted set, score = the time it becomes due (ms): delayed jobs, and failed ones
--             waiting for their retry (those have an :error)
--   :active   sorted set, score = the lease's end (ms)
--   :dead     sorted set, score = when it died (ms)
--   :done     sorted set of kept completed jobs, score = when they finished (ms)
--   :seq (counter), :stats (hash: completed, failed, dead), :paused (exists while paused)
--   channel :wake, published to when jobs become available.
-- (Attempts and token share one hash, and it holds every job, so Redis keeps it a hash table:
-- small hashes and sorted sets are listpacks, searched linearly on every access.)
-- A job's state follows from where it is: a token in :run (active), :pending, :delayed (failed when it
-- has an :error, else delayed), :dead, :done (completed).
local SEQ_SPAN = 8589934592  -- 2^33
local CHUNK = 1000           -- elements per variadic call (Lua's unpack has a stack limit)

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- redis.call(cmd, key, items...) in chunks of CHUNK items; returns the sum of integer replies.
local function variadic(cmd, key, items)
  local sum = 0
  for i = 1, #items, CHUNK do
    local r = redis.call(cmd, key, unpack(items, i, math.min(#items, i + CHUNK - 1)))
    if type(r) == 'number' then sum = sum + r end
  end
  return sum
end

-- HMGET of many fields, in chunks; returns the values in order (false for missing ones).
local function hmget_all(key, fields)
  local out = {}
  for i = 1, #fields, CHUNK do
    local r = redis.call('HMGET', key, unpack(fields, i, math.min(#fields, i + CHUNK - 1)))
    for k = 1, #r do out[#out + 1] = r[k] end
  end
  return out
end

-- The packed fixed fields: `priority|max_attempts|timeout|created|type length|type payload`.
local function pack_data(priority, max_attempts, timeout, created, jtype, payload)
  return priority .. '|' .. max_attempts .. '|' .. timeout .. '|' .. created .. '|' .. #jtype ..
           '|' .. jtype .. payload
end

-- Priority and max attempts of packed data (0 and 1 when missing).
local function data_limits(d)
  if not d then return 0, 1 end
  local p, m = string.match(d, '^(%d+)|(%d+)|')
  return tonumber(p) or 0, tonumber(m) or 1
end

-- Files jobs as pending behind the jobs of their priority: ids[i] with priorities[i].
local function make_pending(base, ids, priorities)
  if #ids == 0 then return end
  local last = redis.call('INCRBY', base .. ':seq', #ids)
  local entries = {}
  for i = 1, #ids do
    entries[#entries + 1] = priorities[i] * SEQ_SPAN + last - #ids + i
    entries[#entries + 1] = ids[i]
  end
  variadic('ZADD', base .. ':pending', entries)
end

-- Forgets jobs entirely (their data, attempts, lease and error).
local function forget(base, ids)
  if #ids == 0 then return end
  variadic('HDEL', base .. ':data', ids)
  variadic('HDEL', base .. ':run', ids)
  variadic('HDEL', base .. ':error', ids)
end

-- Attempts and lease token of a :run value (0 and nil when missing).
local function run_of(v)
  if not v then return 0, nil end
  local bar = string.find(v, '|', 1, true)
  if not bar then return tonumber(v) or 0, nil end
  return tonumber(string.sub(v, 1, bar - 1)) or 0, string.sub(v, bar + 1)
end

-- Moves job `id` to the dead set (capped at `cap`, oldest dropped with their data).
local function make_dead(base, id, now, err, cap)
  redis.call('ZADD', base .. ':dead', now, id)
  redis.call('HSET', base .. ':error', id, err)
  redis.call('HINCRBY', base .. ':stats', 'dead', 1)
  local excess = redis.call('ZCARD', base .. ':dead') - cap
  if cap > 0 and excess > 0 then
    forget(base, redis.call('ZRANGE', base .. ':dead', 0, excess - 1))
    redis.call('ZREMRANGEBYRANK', base .. ':dead', 0, excess - 1)
  end
end

-- The earliest score of sorted set `key`, or nil.
local function first_score(key)
  local r = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if r[2] then return tonumber(r[2]) end
  return nil
end

-- Promotes due delayed jobs and reclaims expired leases (at most `limit` of each); returns when
-- the next delayed job is due or lease ends (ms), or -1.
local function housekeeping(base, now, limit, dead_cap)
  local delayed, active = base .. ':delayed', base .. ':active'
  local d = first_score(delayed)
  if d and d <= now then
    local ids = redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, limit)
    variadic('ZREM', delayed, ids)
    local data, priorities = hmget_all(base .. ':data', ids), {}
    for i = 1, #ids do priorities[i] = data_limits(data[i]) end
    make_pending(base, ids, priorities)
    d = first_score(delayed)
  end
  local a = first_score(active)
  if a and a <= now then
    local ids = redis.call('ZRANGEBYSCORE', active, '-inf', now, 'LIMIT', 0, limit)
    variadic('ZREM', active, ids)
    local data, runs = hmget_all(base .. ':data', ids), hmget_all(base .. ':run', ids)
    local counts, attempts = {}, {}
    for i = 1, #ids do
      attempts[i] = run_of(runs[i])
      counts[#counts + 1] = ids[i]
      counts[#counts + 1] = attempts[i]  -- the lease is gone
    end
    variadic('HSET', base .. ':run', counts)
    local again, priorities = {}, {}
    for i = 1, #ids do
      local priority, max_attempts = data_limits(data[i])
      if attempts[i] >= max_attempts then
        make_dead(base, ids[i], now, 'lease expired (worker lost) after the last attempt',
                  dead_cap)
      else
        again[#again + 1] = ids[i]
        priorities[#priorities + 1] = priority
      end
    end
    make_pending(base, again, priorities)
    a = first_score(active)
  end
  if d and (not a or d < a) then return d end
  return a or -1
end

-- Where job `id` is: active, pending, failed, delayed, dead or completed; nil when it is none
-- of these (a job whose data is gone, or a stray id).
local function state_of(base, id)
  local _, token = run_of(redis.call('HGET', base .. ':run', id))
  if token then return 'active' end
  if redis.call('ZSCORE', base .. ':pending', id) then return 'pending' end
  if redis.call('ZSCORE', base .. ':delayed', id) then
    if redis.call('HEXISTS', base .. ':error', id) == 1 then return 'failed' end
    return 'delayed'
  end
  if redis.call('ZSCORE', base .. ':dead', id) then return 'dead' end
  if redis.call('ZSCORE', base .. ':done', id) then return 'completed' end
  return nil
end
