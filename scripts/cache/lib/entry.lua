-- Shared by the cache scripts: the store's clock and an entry's tag list.

-- Milliseconds since the epoch from the server's clock.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- True if `tags` (NUL-separated, as stored in field g) holds `tag`.
local function has_tag(tags, tag)
  if not tags or tags == '' then return false end
  local start = 1
  while true do
    local stop = string.find(tags, '\0', start, true)
    local t = string.sub(tags, start, (stop or 0) - 1)
    if t == tag then return true end
    if not stop then return false end
    start = stop + 1
  end
end
