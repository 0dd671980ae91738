-- Reads the entries around a player on one period's board (members carry the info): `range`
-- ranks above to `range` below it, optionally filling a window cut by an end of the board
-- from the other side.
-- Atomicity: one script: entries and total are one snapshot.
-- KEYS[1]   the board's scores (sorted set)   KEYS[2] its players (hash id -> member)
-- ARGV[1]   player id   ARGV[2] range (entries on each side)   ARGV[3] fill (1 | 0)
-- ARGV[4]   order: d (descending) | a
-- Reply     {total, first rank (0-based), {member, score, ...}}; an absent player: {total, -1}
-- Cost      O(log n + m), m entries returned.
local scores, players = KEYS[1], KEYS[2]
local desc = ARGV[4] == 'd'
local total = redis.call('ZCARD', scores)
local member = redis.call('HGET', players, ARGV[1])
if not member then return {total, -1} end
local rank = redis.call(desc and 'ZREVRANK' or 'ZRANK', scores, member)
local span = tonumber(ARGV[2])
local start, stop = rank - span, rank + span
if ARGV[3] == '1' then
  if start < 0 then start, stop = 0, stop - start end
  if stop > total - 1 then start, stop = math.max(0, start - (stop - total + 1)), total - 1 end
end
start = math.max(0, start)
return {total, start,
        redis.call(desc and 'ZREVRANGE' or 'ZRANGE', scores, start, stop, 'WITHSCORES')}
