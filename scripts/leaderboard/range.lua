-- Reads entries of one period's board (members carry the info): by rank (top, page) or around
-- a player.
-- Atomicity: one script: entries, info and total are one snapshot.
-- KEYS[1]   the board's base name
-- ARGV[1]   mode: r (by rank) | a (around a player)
-- ARGV[2]   period code (all | d | w | m)   ARGV[3] day number ('': today by the store's clock)
-- ARGV[4]   week start   ARGV[5] order: d | a   ARGV[6] tie-break: m | e
-- ARGV[7]   r: first rank (0-based)   a: player id
-- ARGV[8]   r: count      a: range (entries on each side)
-- ARGV[9]   a: fill a window cut by an end of the board from the other side (1 | 0)
-- Reply     r: {total, first rank (0-based), {member, score, ...}}
--           a: as around.lua's for one player: {n, the n values {member, score, ...}, first
--           rank (0-based)}; an absent player: {0, -1}
-- Cost      O(log n + m), m entries returned.
-- #include leaderboard/lib/board.lua
-- #include leaderboard/lib/window.lua

local base, mode = KEYS[1], ARGV[1]
local day = tonumber(ARGV[3])
if not day and ARGV[2] ~= 'all' then day = day_now() end
local keys = board_keys(base, (period_of(ARGV[2], day, tonumber(ARGV[4]))))
local desc, tie = ARGV[5] == 'd', ARGV[6]
if mode == 'a' then
  local rank = rank_of(keys, desc, member_of(keys, ARGV[7]))
  if not rank then return {0, -1} end
  local out = {}
  append_window(out, 0, keys.scores, desc, rank, tonumber(ARGV[8]), ARGV[9] == '1')
  return out
end
local total = redis.call('ZCARD', keys.scores)
local start = tonumber(ARGV[7])
local stop = start + tonumber(ARGV[8]) - 1
if stop < start then return {total, start, {}} end
return {total, start,
        redis.call(desc and 'ZREVRANGE' or 'ZRANGE', keys.scores, start, stop, 'WITHSCORES')}
