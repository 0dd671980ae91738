-- Sliding-window-log rate check: the reference limiter's algorithm, used by `redkit bench script`
-- to compare backends. Drops log entries older than the window, counts, and logs this request.
-- Atomicity: one script, so count-then-add cannot interleave with another caller's.
-- KEYS[1]  the log (sorted set: member = unique id, score = time in ms)
-- ARGV[1]  limit (requests per window)
-- ARGV[2]  window in ms
-- ARGV[3]  unique member id for this request (the caller's; no math.random collisions)
-- Reply    {allowed (1|0), count after the call, ms until the oldest entry leaves the window}
-- Cost     O(log n + m) for n entries, m of them expired.
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local member = ARGV[3]

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

redis.call('ZREMRANGEBYSCORE', key, 0, now - window)
local count = redis.call('ZCARD', key)
if count >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  local reset = window
  if oldest[2] then reset = tonumber(oldest[2]) + window - now end
  if reset < 1 then reset = 1 end
  return {0, count, reset}
end
redis.call('ZADD', key, now, member)
redis.call('PEXPIRE', key, window)
return {1, count + 1, window}
