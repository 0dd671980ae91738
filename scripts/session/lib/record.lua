-- Shared by the session scripts (included, not called on its own).
-- A user's sessions live in one hash, one field per session id, each value a record:
--   "<token hash> <device hash> <fingerprint> <created ms> <last access ms> <meta>"
-- The first three are base64url (no blanks); meta is opaque here (the user's JSON, a newline,
-- then the login's JSON: device, user agent, ip). A session is live while
-- now < min(last access + idle, created + absolute).
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- token hash, device hash, fingerprint, created, last access, position of meta (nil: corrupt)
local function parse(v)
  local th, dh, fp, c, a, meta = string.match(v, '^(%S+) (%S+) (%S+) (%d+) (%d+) ()')
  return th, dh, fp, tonumber(c), tonumber(a), meta
end

local function deadline(c, a, idle, absolute)
  return math.min(a + idle, c + absolute)
end

-- Opens session `id` of `key` for the holder of `token_hash`: 1 and the session
-- {th, dh, fp, c, a, meta (text), now} if it is live; 0 if it is unknown or `token_hash` is not
-- its token's; -1 if it timed out (it is deleted).
local function open_session(key, id, token_hash, idle, absolute)
  local v = redis.call('HGET', key, id)
  if not v then return 0 end
  local th, dh, fp, c, a, meta = parse(v)
  if th ~= token_hash then return 0 end
  local now = now_ms()
  if now >= deadline(c, a, idle, absolute) then
    redis.call('HDEL', key, id)
    return -1
  end
  return 1, {th = th, dh = dh, fp = fp, c = c, a = a, meta = string.sub(v, meta), now = now}
end

-- The live sessions of `key` as {id, value, created, last access, device hash, deadline},
-- after deleting the dead (and corrupt) ones.
local function live_sessions(key, now, idle, absolute)
  local all = redis.call('HGETALL', key)
  local live, dead = {}, {}
  for i = 1, #all, 2 do
    local _, dh, _, c, a = parse(all[i + 1])
    local d = c and deadline(c, a, idle, absolute)
    if d and now < d then
      live[#live + 1] = {id = all[i], value = all[i + 1], c = c, a = a, dh = dh, deadline = d}
    else
      dead[#dead + 1] = all[i]
    end
  end
  if #dead > 0 then redis.call('HDEL', key, unpack(dead)) end
  return live
end

-- Sets the key's TTL to its longest-lived session's deadline (the key is gone when none is).
local function follow_longest(key, live)
  local last = 0
  for _, s in ipairs(live) do last = math.max(last, s.deadline) end
  if last > 0 then redis.call('PEXPIREAT', key, last) end
end
