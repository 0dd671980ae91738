-- Lists a user's live sessions (dropping the dead ones and refitting the key's TTL).
-- Atomicity: one script: a consistent snapshot.
-- KEYS[1]   the user's sessions hash
-- ARGV[1]   idle timeout (ms) ARGV[2] absolute timeout (ms)
-- Reply     per live session: id, created ms, last access ms, expires ms, meta
-- Cost      O(n), n = the user's sessions.
-- #include session/lib/record.lua

local key = KEYS[1]
local idle, absolute = tonumber(ARGV[1]), tonumber(ARGV[2])
local live = live_sessions(key, now_ms(), idle, absolute)
follow_longest(key, live)
local reply = {}
for _, s in ipairs(live) do
  local _, _, _, _, _, meta = parse(s.value)
  for _, x in ipairs({s.id, s.c, s.a, s.deadline, string.sub(s.value, meta)}) do
    reply[#reply + 1] = x
  end
end
return reply
