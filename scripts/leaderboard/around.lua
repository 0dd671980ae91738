-- Reads the entries around a player on one period's board (members carry the info): `range`
-- ranks above to `range` below it, optionally filling a window cut by an end of the board
-- from the other side.
-- Atomicity: one script: the entries are one snapshot.
-- KEYS[1]   the board's scores (sorted set)   KEYS[2] its players (hash id -> member)
-- ARGV[1]   player id   ARGV[2] range (entries on each side)   ARGV[3] fill (1 | 0)
-- ARGV[4]   order: d (descending) | a
-- Reply     {member, score, ..., first rank (0-based)}; an absent player: {-1}. (Flat: Redis
--           converts each table of a reply with several field lookups.)
-- Cost      O(log n + m), m entries returned (each redis.call costs about as much as a small
--           command: there are three, four when a window is filled).
-- #include leaderboard/lib/window.lua

local scores = KEYS[1]
local member = redis.call('HGET', KEYS[2], ARGV[1])
if not member then return {-1} end
local desc = ARGV[4] == 'd'
local rank = redis.call(desc and 'ZREVRANK' or 'ZRANK', scores, member)
if not rank then return {-1} end
local first, entries = around_window(scores, desc, rank, tonumber(ARGV[2]), ARGV[3] == '1')
entries[#entries + 1] = first
return entries
