-- Ends one session (logout by token, or revoke by id) and refits the key's TTL to the longest
-- remaining session.
-- Atomicity: one script over the user's one hash.
-- KEYS[1]   the user's sessions hash
-- ARGV[1]   session id        ARGV[2] token hash ('' : any, for revoke)
-- ARGV[3]   idle timeout (ms) ARGV[4] absolute timeout (ms)
-- Reply     1 if a live session ended, else 0
-- Cost      O(n), n = the user's sessions.
-- #include session/lib/record.lua

local key = KEYS[1]
local id, token_hash = ARGV[1], ARGV[2]
local idle, absolute = tonumber(ARGV[3]), tonumber(ARGV[4])

local v = redis.call('HGET', key, id)
if not v then return 0 end
local th, _, _, c, a = parse(v)
if token_hash ~= '' and th ~= token_hash then return 0 end
local now = now_ms()
redis.call('HDEL', key, id)
follow_longest(key, live_sessions(key, now, idle, absolute))
if c and now < deadline(c, a, idle, absolute) then return 1 end
return 0
