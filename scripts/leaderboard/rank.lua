-- Ranks and scores of players on one period's board, with its total.
-- Atomicity: one script: one snapshot.
-- KEYS[1]   the board's base name
-- ARGV[1]   period code   ARGV[2] day number ('': today)   ARGV[3] week start
-- ARGV[4]   order: d | a  ARGV[5] tie-break: m | e (unused)
-- ARGV[6..] player ids
-- Reply     {total, then per player: rank (1-based; 0: absent), score (text; '' if absent)}
-- Cost      O(p log n), p players.
-- #include leaderboard/lib/board.lua

local base = KEYS[1]
local day = tonumber(ARGV[2])
if not day and ARGV[1] ~= 'all' then day = day_now() end
local keys = board_keys(base, (period_of(ARGV[1], day, tonumber(ARGV[3]))))
local desc = ARGV[4] == 'd'
local reply = {redis.call('ZCARD', keys.scores)}
for i = 6, #ARGV do
  local member = member_of(keys, ARGV[i])
  local rank = rank_of(keys, desc, member)
  reply[#reply + 1] = rank and rank + 1 or 0
  reply[#reply + 1] = rank and redis.call('ZSCORE', keys.scores, member) or ''
end
return reply
