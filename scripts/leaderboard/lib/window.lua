-- Shared by around.lua and range.lua (included, not called on its own).
-- Appends to `out` (after its o-th value) the entries around rank `rank` of `scores`
-- (descending when `desc`): `span` ranks above to `span` below, and when `fill`, a window cut
-- by an end of the board moved to keep its size. Appends n, then the n values {member, score,
-- ...}, then the first rank; returns the new count of values in `out`. No ZCARD: a window cut
-- by the board's last rank shows in the range read (fewer entries), and only then is a second
-- range read, above it. Ranks go to redis.call as '%d' text: it would format a number with
-- "%.17g", a slower conversion.
local no_entries = {}  -- `above` when nothing is read above: no table per player
local function append_window(out, o, scores, desc, rank, span, fill)
  local read, format = desc and 'ZREVRANGE' or 'ZRANGE', string.format
  local start, stop = rank - span, rank + span
  if start < 0 then
    if fill then stop = stop - start end
    start = 0
  end
  local range = redis.call(read, scores, format('%d', start), format('%d', stop), 'WITHSCORES')
  local short = stop - start + 1 - #range / 2  -- ranks of the window past the last one
  local above = no_entries
  if fill and short > 0 and start > 0 then
    local from = math.max(0, start - short)
    above = redis.call(read, scores, format('%d', from), format('%d', start - 1), 'WITHSCORES')
    start = from
  end
  local na, nr = #above, #range
  out[o + 1] = na + nr
  for i = 1, na do out[o + 1 + i] = above[i] end
  o = o + 1 + na
  for i = 1, nr do out[o + i] = range[i] end
  o = o + nr + 1
  out[o] = start
  return o
end
