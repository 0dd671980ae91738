-- Ends every session of a user.
-- Atomicity: one script; a login racing with it lands wholly before (and is ended) or after.
-- KEYS[1]   the user's sessions hash
-- ARGV[1]   idle timeout (ms) ARGV[2] absolute timeout (ms)
-- Reply     the number of live sessions ended
-- Cost      O(n), n = the user's sessions.
-- #include session/lib/record.lua

local key = KEYS[1]
local idle, absolute = tonumber(ARGV[1]), tonumber(ARGV[2])
local live = live_sessions(key, now_ms(), idle, absolute)
redis.call('DEL', key)
return #live
