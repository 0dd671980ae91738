-- Creates a session for a user, first ending the device's previous session and then evicting
-- the least recently accessed sessions beyond the cap; drops dead sessions on the way.
-- Atomicity: one script over the user's one hash, so concurrent logins never exceed the cap.
-- KEYS[1]   the user's sessions hash
-- ARGV[1]   new session id
-- ARGV[2]   token hash        ARGV[3] device hash        ARGV[4] fingerprint
-- ARGV[5]   meta (opaque)     ARGV[6] cap (sessions, >= 1)
-- ARGV[7]   idle timeout (ms) ARGV[8] absolute timeout (ms)
-- Reply     {created ms, expires ms, replaced session id or '', evicted ids...} (oldest access
--           first); {-1} if the session id is taken (the caller draws another).
-- Cost      O(n), n = the user's sessions.
-- #include session/lib/record.lua

local key = KEYS[1]
local id, token_hash, device_hash, fingerprint, meta = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local cap, idle, absolute = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])

if redis.call('HEXISTS', key, id) == 1 then return {-1} end
local now = now_ms()
local live = live_sessions(key, now, idle, absolute)

local replaced = ''
for i, s in ipairs(live) do
  if s.dh == device_hash then
    replaced = s.id
    redis.call('HDEL', key, s.id)
    table.remove(live, i)
    break
  end
end

-- Least recently accessed first (then oldest, then id): the eviction order.
table.sort(live, function(x, y)
  if x.a ~= y.a then return x.a < y.a end
  if x.c ~= y.c then return x.c < y.c end
  return x.id < y.id
end)
local reply = {now, deadline(now, now, idle, absolute), replaced}
local excess = #live - cap + 1
for i = 1, excess do
  redis.call('HDEL', key, live[i].id)
  reply[#reply + 1] = live[i].id
end
local kept = {}
for i = math.max(excess, 0) + 1, #live do kept[#kept + 1] = live[i] end

redis.call('HSET', key, id, table.concat({token_hash, device_hash, fingerprint, now, now, meta}, ' '))
kept[#kept + 1] = {deadline = reply[2]}
follow_longest(key, kept)
return reply
