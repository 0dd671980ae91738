-- Rate-limit checks of a batch of requests, each against its N policies (any mix of the four
-- algorithms): either every enforced policy of a request allows it and every one consumes its
-- cost, or that request consumes nothing. Requests are decided in order, as if sent one by one.
-- Atomicity: one script; the clock is the server's TIME, shared by every app server.
-- KEYS           every request's policy keys, in order (one key per policy; the keys of one
--                request share its identity's hash tag and must be distinct: else an error
--                reply, with the batch's requests before that one applied)
-- ARGV[1]        an id unique to this batch (sliding_log members: the id for a log's first
--                request of the batch, id:n for its next ones; then .unit for a cost above 1)
-- ARGV[2..]      per request: its policy count N, then per policy: algorithm (1 sliding_log,
--                2 sliding_window, 3 gcra, 4 fixed_window), limit (units), window (ms),
--                burst (units, gcra; 0 = limit), cost (units), shadow (1: never denies).
--                "N*R" instead of N: R identical requests (a busy identity's), whose keys and
--                policies are given once; each is decided and replied to as if sent alone.
-- Reply          per request: all_allowed (1|0), then per policy: allowed (1|0), remaining
--                (units), reset_after (ms until it next returns units), retry_after (ms, 0 if
--                allowed)
-- Keys of another type (an algorithm changed under a policy name) are reset, not an error.
-- Consecutive requests naming the same keys (a busy identity's) read them once and write them
-- once, after the last: TTLs, counters, and a sliding log's new entries in one ZADD. The clock
-- stands still in a script, so every request sees the effects of those before it exactly as
-- if sent one by one.
-- Cost           per policy: sliding_log O(log n + m) (m entries expired), the others O(1); a
--                request after one with the same keys: no redis.call (denied by a sliding
--                log: a ZRANGE, unless the entry it waits for is the batch's).
-- (scripts/rate_limit/check_native.cpp is this script in C++ for the engine: change both.)
local t = redis.call('TIME')
local now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
local now = math.floor(now_us / 1000)
local now_text = tostring(now)  -- sliding_log scores, converted once (an integer below 2^53)
local batch = ARGV[1]
local floor, ceil, max, min = math.floor, math.ceil, math.max, math.min
local format = string.format

-- An integer's text as redis.call would write it ("%.17g", the same digits below 2^53), at
-- less than half the cost: '%d' is a plain integer conversion, "%.17g" a multi-precision one.
local function int_text(x)
  if x % 1 == 0 and x < 9007199254740992 and x > -9007199254740992 then
    return format('%d', x)
  end
  return x
end

-- Reads a key with `cmd`, deleting it if it holds another type.
local function read(cmd, key, ...)
  local v = redis.pcall(cmd, key, ...)
  if type(v) == 'table' and v.err then
    redis.call('DEL', key)
    return false
  end
  return v
end

-- The keys of the request before, in one flat array: for its policy i, j = 8 × (i - 1),
-- st[j + 1] the key, + 2 algorithm, + 3 window (its ARGV text, which PEXPIRE and SET PX are
-- given: a number would cost redis.call a "%.17g"), + 4 dirty (to be written), + 5 .. + 8 per
-- algorithm, below: what the store holds, as the requests so far left it. A request naming the
-- same keys with the same algorithms and windows (the next of a busy identity's) goes on from
-- there; any other first writes them back and reads its own. `held`: how many are kept.
local st, held = {}, 0

-- Reads slot j's key for `algo` and `window` (`window_text`: as in ARGV).
local function load(j, key, algo, window, window_text)
  st[j + 1], st[j + 2], st[j + 3], st[j + 4] = key, algo, window_text, false
  if algo == 1 then
    -- sliding_log: entries scored by time; an entry counts while now < score + window.
    -- Expired entries are removed only when the oldest one has expired. + 5: the count, + 6:
    -- the oldest score, + 8: how many entries the batch adds, + 7: the member of the one, or
    -- ZADD's arguments for several. They are added when the key is written:
    -- until then they score `now` and sort after every stored entry.
    local oldest = read('ZRANGE', key, '0', '0', 'WITHSCORES')
    if oldest and oldest[2] and tonumber(oldest[2]) <= now - window then
      redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
      oldest = redis.call('ZRANGE', key, '0', '0', 'WITHSCORES')
    end
    st[j + 5], st[j + 6], st[j + 8] = 0, false, 0
    if oldest and oldest[2] then
      st[j + 5], st[j + 6] = redis.call('ZCARD', key), tonumber(oldest[2])
    end
  elseif algo == 2 then
    -- sliding_window: + 5 the aligned window's start, + 6 its count (c), + 7 the previous
    -- window's (p), + 8 the TTL to write.
    local start = now - now % window
    local v = read('HMGET', key, 'w', 'c', 'p') or {}
    local w, c, p = tonumber(v[1]), tonumber(v[2]) or 0, tonumber(v[3]) or 0
    if w ~= start then
      if w == start - window then p = c else p = 0 end
      c = 0
    end
    st[j + 5], st[j + 6], st[j + 7] = start, c, p
  elseif algo == 3 then
    -- gcra: + 5 the theoretical arrival time (us; false: none), + 6 the TTL to write.
    st[j + 5] = tonumber(read('GET', key)) or false
  else
    -- fixed_window: a counter living `window` ms from its first unit (a value that is no
    -- plain positive integer, which INCRBY could not add to, counts as none). + 5 the count,
    -- + 6 the count stored, + 7 the ms left.
    local v = read('GET', key)
    local count = tonumber(v)
    if not count or count < 1 or count % 1 ~= 0 or tostring(count) ~= v then count = 0 end
    st[j + 5], st[j + 6], st[j + 7] = count, count, window
    if count > 0 then
      local ttl = redis.call('PTTL', key)
      if ttl < 0 then ttl = window; redis.call('PEXPIRE', key, window) end
      st[j + 7] = ttl
    end
  end
end

-- Writes what the batch's requests consumed of slot j's key.
local function store(j)
  if not st[j + 4] then return end
  local key, algo = st[j + 1], st[j + 2]
  if algo == 1 then
    local args, n = st[j + 7], 2 * st[j + 8]
    if n == 2 then
      redis.call('ZADD', key, now_text, args)
    else
      for from = 1, n, 2000 do  -- 1000 entries per ZADD (unpack's stack is bounded)
        redis.call('ZADD', key, unpack(args, from, min(n, from + 1999)))
      end
    end
    redis.call('PEXPIRE', key, st[j + 3])
  elseif algo == 2 then
    redis.call('HSET', key, 'w', st[j + 5], 'c', st[j + 6], 'p', st[j + 7])
    redis.call('PEXPIRE', key, st[j + 8])
  elseif algo == 3 then
    redis.call('SET', key, int_text(st[j + 5]), 'PX', int_text(st[j + 6]))
  elseif st[j + 6] == 0 then
    redis.call('SET', key, st[j + 5], 'PX', st[j + 3])
  else
    redis.call('INCRBY', key, st[j + 5] - st[j + 6])
  end
end

local used, spent = {}, {}  -- per policy of the request: its slot (false: spends nothing), units
local pol = {}  -- the request's policies, parsed: 6 per policy as in ARGV, then the window's text
-- tonumber of ARGV's texts, memoized: the requests of a batch mostly repeat the same policies,
-- and tonumber (strtod) is the script's dearest operation after redis.call.
local parsed = {}
local function number(text)
  local v = parsed[text]
  if not v then
    v = tonumber(text)
    parsed[text] = v
  end
  return v
end
-- Entries this batch added to each sliding log, so far: a log's first entry of the batch is
-- named by the batch id alone, later ones by the id and this count (no number to convert for
-- the common first one).
local added = {}
local reply = {}
local k = 0  -- KEYS consumed
local a = 2  -- ARGV position
local last = #ARGV
local request = 0
local head = 1  -- reply position of this request's all_allowed
while a <= last do
  local n, repeats = number(ARGV[a]), 1
  if not n then
    local star = string.find(ARGV[a], '*', 1, true)
    n = tonumber(string.sub(ARGV[a], 1, star - 1))
    repeats = tonumber(string.sub(ARGV[a], star + 1))
  end
  a = a + 1
  for i = 2, n do
    for j = 1, i - 1 do
      if KEYS[k + i] == KEYS[k + j] then
        for x = 0, 8 * (held - 1), 8 do store(x) end  -- the requests before stay whole
        return redis.error_reply('ERR request ' .. (request + 1) .. ' names key ' ..
                                 KEYS[k + i] .. ' twice (policy names must be distinct)')
      end
    end
  end
  for i = 1, n do
    local b, p = a + 6 * (i - 1), 7 * (i - 1)
    for x = 1, 5 do pol[p + x] = number(ARGV[b + x - 1]) end
    pol[p + 6] = ARGV[b + 5] == '1'
    pol[p + 7] = ARGV[b + 2]
  end
  a = a + 6 * n
  local same = n == held
  for i = 1, same and n or 0 do
    local j, p = 8 * (i - 1), 7 * (i - 1)
    if st[j + 1] ~= KEYS[k + i] or st[j + 2] ~= pol[p + 1] or st[j + 3] ~= pol[p + 7] then
      same = false
      break
    end
  end
  if not same then
    for j = 0, 8 * (held - 1), 8 do store(j) end
    held = n
  end
  for rep = 1, repeats do
    request = request + 1
    reply[head] = 1
    for i = 1, n do
      local key = KEYS[k + i]
      local p = 7 * (i - 1)
      local algo, limit, window = pol[p + 1], pol[p + 2], pol[p + 3]
      local burst, cost, shadow = pol[p + 4], pol[p + 5], pol[p + 6]
      local j = 8 * (i - 1)
      if not same then load(j, key, algo, window, pol[p + 7]) end
      local ok, remaining, reset, retry
      spent[i] = cost

      if algo == 1 then
        local count = st[j + 5]
        reset = window
        if count > 0 then reset = st[j + 6] + window - now end
        ok = count + cost <= limit
        if ok then
          remaining = limit - count - cost
        else
          remaining = limit - count
          local e = count + cost - limit - 1  -- the entry whose expiry makes room for `cost`
          retry = reset
          if e >= count - st[j + 8] then
            retry = window  -- an entry of this batch, not yet added: it scores `now`
          elseif e > 0 then
            retry = tonumber(redis.call('ZRANGE', key, e, e, 'WITHSCORES')[2]) + window - now
          end
        end
      elseif algo == 2 then
        local c, p = st[j + 6], st[j + 7]
        local left = window - (now - st[j + 5])  -- ms until this window ends
        local estimate = p * left / window + c
        ok = estimate + cost <= limit
        reset = left
        if p > 0 then reset = min(left, ceil(window / p)) end
        if ok then
          remaining = floor(limit - estimate - cost)
          st[j + 8] = left + window
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
        -- A unit every window/limit, `burst` at once.
        if burst == 0 then burst = limit end
        local interval = window * 1000 / limit
        local tat = max(st[j + 5] or now_us, now_us)
        local new_tat = tat + cost * interval
        local allow_at = new_tat - burst * interval
        ok = now_us >= allow_at
        local free_from = allow_at  -- remaining = units the bucket holds beyond this request
        if not ok then free_from = tat - burst * interval end
        remaining = max(0, floor((now_us - free_from) / interval + 1e-9))
        reset = (free_from + (remaining + 1) * interval - now_us) / 1000
        if not ok then retry = (allow_at - now_us) / 1000 end
        spent[i] = new_tat
      else
        local count = st[j + 5]
        reset = window
        if count > 0 then reset = st[j + 7] end
        ok = count + cost <= limit
        if ok then
          remaining = limit - count - cost
        else
          remaining = limit - count
          retry = reset
        end
      end

      if ok then
        retry = 0
        used[i] = j
      else
        used[i] = false
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
        local j, x = used[i], spent[i]
        if j then
          st[j + 4] = true
          local algo = st[j + 2]
          if algo == 1 then
            local key = st[j + 1]
            local before = added[key] or 0
            local member = batch
            if before > 0 then member = batch .. ':' .. before end
            added[key] = before + 1
            local args, m = st[j + 7], 2 * st[j + 8]
            if m == 0 and x == 1 then
              st[j + 7] = member  -- one entry needs no table
            else
              if m == 0 then
                args = {}
              elseif m == 2 then
                args = {now_text, args}  -- the one entry so far
              end
              st[j + 7] = args
              if x == 1 then
                args[m + 1], args[m + 2] = now_text, member
              else
                for u = 1, x do
                  args[m + 2 * u - 1], args[m + 2 * u] = now_text, member .. '.' .. u
                end
              end
            end
            st[j + 8] = st[j + 8] + x
            if st[j + 5] == 0 then st[j + 6] = now end
            st[j + 5] = st[j + 5] + x
          elseif algo == 2 then
            st[j + 6] = st[j + 6] + x
          elseif algo == 3 then
            st[j + 5], st[j + 6] = ceil(x), max(1, ceil((x - now_us) / 1000))
          else
            st[j + 5] = st[j + 5] + x
          end
        end
      end
    end
    head = head + 1 + 4 * n
    same = true  -- the next repeat names these keys again
  end
  k = k + n
end
for j = 0, 8 * (held - 1), 8 do store(j) end
return reply
