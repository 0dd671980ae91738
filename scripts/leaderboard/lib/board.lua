-- Shared by the leaderboard scripts (included, not called on its own).
-- A board's keys all start with its base name `<prefix>:lb:{<board>}`; each period has
-- `<base>:<period id>:scores`, a sorted set whose members carry the player's info, and
-- `:players`, a hash player id -> member; `<base>:seq` numbers score changes (tie-break
-- earliest). A member is the player id, a NUL byte, then the info; with the earliest tie-break
-- it starts with 16 hex digits of the sequence number (descending boards: 2^53 - seq, so that
-- earlier sorts later and ZREVRANGE puts it first). Ids hold no NUL, so members of equal score
-- sort as their ids do.
local DAY = 86400000
local floor = math.floor

local function day_now()
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + floor(tonumber(t[2]) / 1000)
  return floor(now / DAY), now
end

-- Proleptic Gregorian (y, m, d) of a day number (days since 1970-01-01), and back.
local function civil(days)
  local z = days + 719468
  local era = floor(z / 146097)
  local doe = z - era * 146097
  local yoe = floor((doe - floor(doe / 1460) + floor(doe / 36524) - floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + floor(yoe / 4) - floor(yoe / 100))
  local mp = floor((5 * doy + 2) / 153)
  local d = doy - floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return y, m, d
end

local function days_of(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = floor(y / 400)
  local yoe = y - era * 400
  local mp = m > 2 and m - 3 or m + 9
  local doy = floor((153 * mp + 2) / 5) + d - 1
  return era * 146097 + yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy - 719468
end

local function date(days)
  return string.format('%04d-%02d-%02d', civil(days))
end

-- The period id of `code` ('all', 'd', 'w', 'm') on day `day`, and its end in ms (nil: never).
local function period_of(code, day, week_start)
  if code == 'd' then return 'd' .. date(day), (day + 1) * DAY end
  if code == 'w' then
    local first = day - (day + 4 - week_start) % 7  -- 1970-01-01 was a Thursday (4)
    return 'w' .. date(first), (first + 7) * DAY
  end
  if code == 'm' then
    local y, m = civil(day)
    local ny, nm = y, m + 1
    if nm == 13 then ny, nm = y + 1, 1 end
    return string.format('m%04d-%02d', y, m), days_of(ny, nm, 1) * DAY
  end
  return 'all', nil
end

-- The member of `player` on a board (nil if absent).
local function member_of(keys, player)
  return redis.call('HGET', keys.players, player) or nil
end

-- The player id and the info a member holds.
local function split_member(tie, member)
  local from = tie == 'e' and 17 or 1
  local nul = string.find(member, '\0', from, true)
  return string.sub(member, from, nul - 1), string.sub(member, nul + 1)
end

local function board_keys(base, id)
  local k = base .. ':' .. id
  return {scores = k .. ':scores', players = k .. ':players'}
end

-- 0-based rank of `member` in board order, or nil.
local function rank_of(keys, desc, member)
  if not member then return nil end
  local r = redis.call(desc and 'ZREVRANK' or 'ZRANK', keys.scores, member)
  if r == false then return nil end
  return r
end
