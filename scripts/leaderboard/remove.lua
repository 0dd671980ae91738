-- Removes a player (score, info and index entry) from the current board of each period.
-- Atomicity: one script.
-- KEYS[1]   the board's base name
-- ARGV[1]   player id   ARGV[2] tie-break: m | e   ARGV[3] week start
-- ARGV[4..] period codes
-- Reply     the number of boards the player was on
-- Cost      O(log n) per period.
-- #include leaderboard/lib/board.lua

local base, player, tie = KEYS[1], ARGV[1], ARGV[2]
local day = nil
for i = 4, #ARGV do
  if ARGV[i] ~= 'all' then day = day_now() break end
end
local removed = 0
for i = 4, #ARGV do
  local keys = board_keys(base, (period_of(ARGV[i], day, tonumber(ARGV[3]))))
  local member = member_of(keys, player)
  if member and redis.call('ZREM', keys.scores, member) == 1 then removed = removed + 1 end
  redis.call('HDEL', keys.players, player)
end
return removed
