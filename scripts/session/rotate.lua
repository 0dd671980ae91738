-- Gives a live session a new token hash (and optionally new user details), recording an
-- access.
-- Atomicity: one script: the old token stops working the moment the new one exists.
-- KEYS[1]   the user's sessions hash
-- ARGV[1]   session id        ARGV[2] old token hash     ARGV[3] new token hash
-- ARGV[4]   new user details: the meta's first line ('' : keep)
-- ARGV[5]   idle timeout (ms) ARGV[6] absolute timeout (ms)
-- Reply     {1, created ms, expires ms, meta}; {0} unknown (or another token); {-1} timed out
-- Cost      O(1).
-- #include session/lib/record.lua

local key = KEYS[1]
local id, old_hash, new_hash, new_user = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local idle, absolute = tonumber(ARGV[5]), tonumber(ARGV[6])

local status, s = open_session(key, id, old_hash, idle, absolute)
if status ~= 1 then return {status} end
local meta = s.meta
if new_user ~= '' then
  local nl = string.find(meta, '\n', 1, true) or (#meta + 1)
  meta = new_user .. string.sub(meta, nl)
end
redis.call('HSET', key, id, table.concat({new_hash, s.dh, s.fp, s.c, s.now, meta}, ' '))
redis.call('PEXPIREAT', key, deadline(s.c, s.now, idle, absolute), 'GT')
return {1, s.c, deadline(s.c, s.now, idle, absolute), meta}
