-- Reads the entries around players on one period's board (members carry the info): for each,
-- `range` ranks above to `range` below it, optionally filling a window cut by an end of the
-- board from the other side. Concurrent reads of a board come in one call.
-- Atomicity: one script: the entries are one snapshot.
-- KEYS[1]   the board's scores (sorted set)   KEYS[2] its players (hash id -> member)
-- ARGV[1]   order: d (descending) | a
-- ARGV[2..] per player: id, range (entries on each side), fill (1 | 0)
-- Reply     per player, one flat list: n, the n values {member, score, ...}, the first rank
--           (0-based); an absent player: 0, -1. (Flat: Redis converts each table of a reply
--           with several field lookups.)
-- Cost      O(log n + m) per player, m entries returned.
-- #include leaderboard/lib/window.lua

local scores, players = KEYS[1], KEYS[2]
local desc = ARGV[1] == 'd'
local rank_of = desc and 'ZREVRANK' or 'ZRANK'
-- The players' members: one HMGET per 1000 players (unpack's stack is bounded).
local ids, members = {}, {}
for a = 2, #ARGV, 3 do ids[#ids + 1] = ARGV[a] end
for from = 1, #ids, 1000 do
  local got = redis.call('HMGET', players, unpack(ids, from, math.min(#ids, from + 999)))
  for i = 1, #got do members[from + i - 1] = got[i] end
end
local out, o = {}, 0
for p = 1, #ids do
  local member = members[p]
  local rank = member and redis.call(rank_of, scores, member)
  if rank then
    local a = 3 * p - 1
    o = append_window(out, o, scores, desc, rank, tonumber(ARGV[a + 1]), ARGV[a + 2] == '1')
  else
    out[o + 1], out[o + 2] = 0, -1
    o = o + 2
  end
end
return out
