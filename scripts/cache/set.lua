-- Stores one cache entry (a value or a cached absence) with its fresh and stale windows,
-- indexes it under its tags, frees the load lock and broadcasts the change.
-- Atomicity: one script over the entry, its lock and its tag sets (one hash tag).
-- KEYS[1]   the entry hash       KEYS[2] the lock      KEYS[3..] the tag sets
-- ARGV[1]   value                ARGV[2] negative (0|1)
-- ARGV[3]   fresh TTL (ms)       ARGV[4] stale-while-revalidate window (ms)
-- ARGV[5]   stale-if-error window (ms)   ARGV[6] load time (ms)
-- ARGV[7]   tags, NUL-separated (as KEYS[3..])   ARGV[8] the key (tag set member)
-- ARGV[9]   invalidation channel ('' : none)      ARGV[10] its message
-- Reply     the store's time (ms)
-- Cost      O(t), t tags.
-- #include cache/lib/entry.lua

local entry, lock = KEYS[1], KEYS[2]
local ttl, swr, sie = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])

local now = now_ms()
local fresh = now + ttl
local lifetime = ttl + math.max(swr, sie)
redis.call('DEL', entry)
redis.call('HSET', entry, 'v', ARGV[1], 'f', string.format('%.0f', fresh),
           'r', string.format('%.0f', fresh + swr), 'e', string.format('%.0f', fresh + sie),
           'd', ARGV[6], 'n', ARGV[2], 'g', ARGV[7])
redis.call('PEXPIRE', entry, lifetime)
redis.call('DEL', lock)
for i = 3, #KEYS do
  redis.call('SADD', KEYS[i], ARGV[8])
  if redis.call('PTTL', KEYS[i]) < lifetime then redis.call('PEXPIRE', KEYS[i], lifetime) end
end
if ARGV[9] ~= '' then redis.call('PUBLISH', ARGV[9], ARGV[10]) end
return now
