-- Validates a session: its token hash, its timeouts, its fingerprint; records the access at
-- most once per touch interval (sliding the idle timeout).
-- Atomicity: one script, so a session logged out or revoked is never brought back.
-- KEYS[1]   the user's sessions hash
-- ARGV[1]   session id        ARGV[2] token hash         ARGV[3] fingerprint
-- ARGV[4]   fingerprint policy: 0 off, 1 report (keep the session), 2 strict (destroy it)
-- ARGV[5]   idle timeout (ms) ARGV[6] absolute timeout (ms) ARGV[7] touch interval (ms)
-- Reply     {1, mismatch 0|1, touched 0|1, created ms, last access ms, expires ms, meta};
--           {0} unknown (or another token), {-1} timed out, {-2} fingerprint mismatch
--           (strict: destroyed)
-- Cost      O(1); O(n) when a strict mismatch destroys the session.
-- #include session/lib/record.lua

local key = KEYS[1]
local id, token_hash, fingerprint, policy = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local idle, absolute, touch = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])

local status, s = open_session(key, id, token_hash, idle, absolute)
if status ~= 1 then return {status} end

local mismatch = 0
if policy ~= 0 and s.fp ~= fingerprint then
  if policy == 2 then
    redis.call('HDEL', key, id)
    follow_longest(key, live_sessions(key, s.now, idle, absolute))
    return {-2}
  end
  mismatch = 1
end

local touched = 0
if s.now - s.a >= touch then
  s.a, touched = s.now, 1
  redis.call('HSET', key, id, table.concat({s.th, s.dh, s.fp, s.c, s.a, s.meta}, ' '))
  redis.call('PEXPIREAT', key, deadline(s.c, s.a, idle, absolute), 'GT')
end
return {1, mismatch, touched, s.c, s.a, deadline(s.c, s.a, idle, absolute), s.meta}
