-- Reads one cache entry and, when it is missing or past its fresh time, may take the load
-- lock, so that one process in the fleet loads while the others wait or serve stale.
-- Atomicity: one script over the entry and its lock (one hash tag).
-- KEYS[1]   the entry hash       KEYS[2] the lock
-- ARGV[1]   lock TTL (ms; 0: take no lock)   ARGV[2] lock token
-- Reply     {now (ms), found (0|1), value, fresh until, stale-while-revalidate end,
--            stale-if-error end, load time (ms), negative (0|1), tags (NUL-separated),
--            lock (1: taken by this call, 0: held by another, -1: not asked for)}
-- Cost      O(1).
-- #include cache/lib/entry.lua

local entry, lock = KEYS[1], KEYS[2]
local lock_ttl, token = tonumber(ARGV[1]), ARGV[2]

local now = now_ms()
local e = redis.call('HMGET', entry, 'v', 'f', 'r', 'e', 'd', 'n', 'g')
local found = e[2] ~= false
local fresh_until = found and tonumber(e[2]) or 0
local got_lock = -1
if lock_ttl > 0 and (not found or now >= fresh_until) then
  if redis.call('SET', lock, token, 'NX', 'PX', lock_ttl) then got_lock = 1 else got_lock = 0 end
end
if not found then return {now, 0, '', 0, 0, 0, 0, 0, '', got_lock} end
return {now, 1, e[1] or '', fresh_until, tonumber(e[3]), tonumber(e[4]), tonumber(e[5]),
        tonumber(e[6]), e[7] or '', got_lock}
