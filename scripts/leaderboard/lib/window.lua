-- Shared by around.lua and range.lua (included, not called on its own).
-- The entries around rank `rank` of `scores` (descending when `desc`): `span` ranks above to
-- `span` below, and when `fill`, a window cut by an end of the board moved to keep its size.
-- Returns the first rank and {member, score, ...}. No ZCARD: a window cut by the board's last
-- rank shows in the range read (fewer entries), and only then is a second range read, above
-- it. Ranks go to redis.call as '%d' text: it would format a number with "%.17g", a slower
-- conversion.
local function around_window(scores, desc, rank, span, fill)
  local read, format = desc and 'ZREVRANGE' or 'ZRANGE', string.format
  local start, stop = rank - span, rank + span
  if start < 0 then
    if fill then stop = stop - start end
    start = 0
  end
  local range = redis.call(read, scores, format('%d', start), format('%d', stop), 'WITHSCORES')
  local short = stop - start + 1 - #range / 2  -- ranks of the window past the last one
  if not fill or short <= 0 or start == 0 then return start, range end
  local from = math.max(0, start - short)
  local above = redis.call(read, scores, format('%d', from), format('%d', start - 1), 'WITHSCORES')
  local n = #above
  for i = 1, #range do above[n + i] = range[i] end
  return from, above
end
