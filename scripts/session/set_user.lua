-- Gives every live session of a user new user details (the meta's first line), keeping
-- tokens, devices and times; drops dead sessions on the way.
-- Atomicity: one script over the user's one hash: a session is changed whole or not at all,
-- and a validation sees the old details or the new ones.
-- KEYS[1]   the user's sessions hash
-- ARGV[1]   the user details (the meta's first line: JSON, no newline)
-- ARGV[2]   idle timeout (ms) ARGV[3] absolute timeout (ms)
-- Reply     the number of live sessions changed
-- Cost      O(n), n = the user's sessions.
-- #include session/lib/record.lua

local key, details = KEYS[1], ARGV[1]
local idle, absolute = tonumber(ARGV[2]), tonumber(ARGV[3])
local live = live_sessions(key, now_ms(), idle, absolute)
for _, s in ipairs(live) do
  local _, _, _, _, _, meta = parse(s.value)
  local nl = string.find(s.value, '\n', meta, true) or (#s.value + 1)
  redis.call('HSET', key, s.id, string.sub(s.value, 1, meta - 1) .. details ..
    string.sub(s.value, nl))
end
return #live
