-- Rate-limit checks of a batch of requests, each against its N policies (any mix of the four
-- algorithms): either every enforced policy of a request allows it and every one consumes its
-- cost, or that request consumes nothing. Requests are decided in order, as if sent one by one.
-- Atomicity: one script; the clock is the server's TIME, shared by every app server.
-- KEYS           every request's policy keys, in order (one key per policy; the keys of one
--                request share its identity's hash tag)
-- ARGV[1]        an id unique to this batch (sliding_log members: id:request[.unit])
-- ARGV[2..]      per request: its policy count N, then per policy: algorithm (1 sliding_log,
--                2 sliding_window, 3 gcra, 4 fixed_window), limit (units), window (ms),
--                burst (units, gcra; 0 = limit), cost (units), shadow (1: never denies)
-- Reply          per request: all_allowed (1|0), then per policy: allowed (1|0), remaining
--                (units), reset_after (ms until it next returns units), retry_after (ms, 0 if
--                allowed)
-- Keys of another type (an algorithm changed under a policy name) are reset, not an error.
-- Cost           per policy: sliding_log O(log n + m) (m entries expired), the others O(1).
-- (scripts/rate_limit/check_native.cpp is this script in C++ for the engine: change both.)
local t = redis.call('TIME')
local now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
local now = math.floor(now_us / 1000)
local batch = ARGV[1]
local floor, ceil, max, min = math.floor, math.ceil, math.max, math.min

-- Reads a key with `cmd`, deleting it if it holds another type.
local function read(cmd, key, ...)
  local v = redis.pcall(cmd, key, ...)
  if type(v) == 'table' and v.err then
    redis.call('DEL', key)
    return false
  end
  return v
end

-- What the commit phase writes per policy (reused across requests; kind 0: nothing).
local kind, c1, c2, c3, c4 = {}, {}, {}, {}, {}
local reply = {}
local k = 0  -- KEYS consumed
local a = 2  -- ARGV position
local last = #ARGV
local request = 0
local head = 1  -- reply position of this request's all_allowed
while a <= last do
  request = request + 1
  local n = tonumber(ARGV[a])
  a = a + 1
  reply[head] = 1
  for i = 1, n do
    local key = KEYS[k + i]
    local algo = tonumber(ARGV[a])
    local limit = tonumber(ARGV[a + 1])
    local window = tonumber(ARGV[a + 2])
    local burst = tonumber(ARGV[a + 3])
    local cost = tonumber(ARGV[a + 4])
    local shadow = ARGV[a + 5] == '1'
    a = a + 6
    local ok, remaining, reset, retry

    if algo == 1 then
      -- sliding_log: entries scored by time; an entry counts while now < score + window.
      -- Expired entries are removed only when the oldest one has expired.
      local oldest = read('ZRANGE', key, 0, 0, 'WITHSCORES')
      if oldest and oldest[2] and tonumber(oldest[2]) <= now - window then
        redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
        oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
      end
      local count = 0
      reset = window
      if oldest and oldest[2] then
        count = redis.call('ZCARD', key)
        reset = tonumber(oldest[2]) + window - now
      end
      ok = count + cost <= limit
      if ok then
        remaining = limit - count - cost
        kind[i], c1[i], c2[i] = 1, window, cost
      else
        remaining = limit - count
        local e = count + cost - limit - 1  -- the entry whose expiry makes room for `cost`
        retry = reset
        if e > 0 then
          retry = tonumber(redis.call('ZRANGE', key, e, e, 'WITHSCORES')[2]) + window - now
        end
      end
    elseif algo == 2 then
      -- sliding_window: counts of this aligned window (c) and the previous one (p), weighted.
      local start = now - now % window
      local v = read('HMGET', key, 'w', 'c', 'p') or {}
      local w, c, p = tonumber(v[1]), tonumber(v[2]) or 0, tonumber(v[3]) or 0
      if w ~= start then
        if w == start - window then p = c else p = 0 end
        c = 0
      end
      local left = window - (now - start)  -- ms until this window ends
      local estimate = p * left / window + c
      ok = estimate + cost <= limit
      reset = left
      if p > 0 then reset = min(left, ceil(window / p)) end
      if ok then
        remaining = floor(limit - estimate - cost)
        kind[i], c1[i], c2[i], c3[i], c4[i] = 2, start, c + cost, p, left + window
      else
        remaining = max(0, floor(limit - estimate))
        if c + cost <= limit then
          -- Within this window, once the previous window's weight has decayed enough.
          retry = left - (limit - c - cost) * window / p
        else
          -- In the next window, once this window's count (then the previous) has decayed.
          retry = left + window * (1 - (limit - cost) / c)
        end
      end
    elseif algo == 3 then
      -- gcra: the theoretical arrival time (us); a unit every window/limit, `burst` at once.
      if burst == 0 then burst = limit end
      local interval = window * 1000 / limit
      local tat = max(tonumber(read('GET', key)) or now_us, now_us)
      local new_tat = tat + cost * interval
      local allow_at = new_tat - burst * interval
      ok = now_us >= allow_at
      local free_from = allow_at  -- remaining = units the bucket holds beyond this request
      if not ok then free_from = tat - burst * interval end
      remaining = max(0, floor((now_us - free_from) / interval + 1e-9))
      reset = (free_from + (remaining + 1) * interval - now_us) / 1000
      if ok then
        kind[i], c1[i], c2[i] = 3, ceil(new_tat), max(1, ceil((new_tat - now_us) / 1000))
      else
        retry = (allow_at - now_us) / 1000
      end
    else
      -- fixed_window: a counter living `window` ms from its first unit.
      local count = tonumber(read('GET', key)) or 0
      reset = window
      if count > 0 then
        reset = redis.call('PTTL', key)
        if reset < 0 then reset = window; redis.call('PEXPIRE', key, window) end
      end
      ok = count + cost <= limit
      if ok then
        remaining = limit - count - cost
        kind[i], c1[i], c2[i], c3[i] = 4, count, cost, window
      else
        remaining = limit - count
        retry = reset
      end
    end

    if ok then
      retry = 0
    else
      kind[i] = 0
      retry = max(1, ceil(retry))
      if not shadow then reply[head] = 0 end
    end
    local at = head + 4 * i - 3
    reply[at] = ok and 1 or 0
    reply[at + 1] = remaining
    reply[at + 2] = max(1, ceil(reset))
    reply[at + 3] = retry
  end

  if reply[head] == 1 then
    for i = 1, n do
      local algo, key = kind[i], KEYS[k + i]
      if algo == 1 then
        local units = c2[i]
        local member = batch .. ':' .. request
        if units == 1 then
          redis.call('ZADD', key, now, member)
        else
          -- One entry per unit, added 1000 at a time (unpack's stack is bounded).
          for from = 1, units, 1000 do
            local args = {}
            for j = from, min(units, from + 999) do
              args[#args + 1] = now
              args[#args + 1] = member .. '.' .. j
            end
            redis.call('ZADD', key, unpack(args))
          end
        end
        redis.call('PEXPIRE', key, c1[i])
      elseif algo == 2 then
        redis.call('HSET', key, 'w', c1[i], 'c', c2[i], 'p', c3[i])
        redis.call('PEXPIRE', key, c4[i])
      elseif algo == 3 then
        redis.call('SET', key, c1[i], 'PX', c2[i])
      elseif algo == 4 then
        if c1[i] == 0 then
          redis.call('SET', key, c2[i], 'PX', c3[i])
        else
          redis.call('INCRBY', key, c2[i])
        end
      end
    end
  end
  head = head + 1 + 4 * n
  k = k + n
end
return reply
