-- Applies a score update (set, best, incr or decr) for one player on each of a board's period
-- boards, stores the player's info with the score, trims each board to its maximum size, and
-- returns the new and previous rank on each.
-- Atomicity: one script: ranks are those just before and just after this update, and no board
-- ever holds a score without its player's index entry or the reverse.
-- KEYS[1]   the board's base name
-- ARGV[1]   player id (no NUL byte)   ARGV[2] op: set | best | incr | decr
-- ARGV[3]   value (a finite double, as text)
-- ARGV[4]   info to store ('' : keep)   ARGV[5] info of a player new to a board
-- ARGV[6]   order: d (descending) | a     ARGV[7] tie-break: m (member) | e (earliest)
-- ARGV[8]   max size (0: unbounded)       ARGV[9] week start (0 Sunday .. 6)
-- ARGV[10]  retention of finished periods (ms)
-- ARGV[11..] period codes: all | d | w | m
-- Reply     per period: rank (1-based; 0: trimmed, not on the board), previous rank (0: was
--           not on it), stored score (text); or an error if a result is not a finite number
--           (nothing written).
-- Cost      per period O(log n + t), t trimmed.
-- #include leaderboard/lib/board.lua

local base = KEYS[1]
local player, op, value = ARGV[1], ARGV[2], tonumber(ARGV[3])
local info, new_info = ARGV[4], ARGV[5]
local desc, tie = ARGV[6] == 'd', ARGV[7]
local max_size, week_start, retention = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
-- Today by the store's clock, read only when a period needs it.
local day = nil
for i = 11, #ARGV do
  if ARGV[i] ~= 'all' then day = day_now() break end
end

-- First every board's new score, so that a bad result writes nothing.
local boards = {}
for i = 11, #ARGV do
  local id, ends = period_of(ARGV[i], day, week_start)
  local keys = board_keys(base, id)
  local member = member_of(keys, player)
  local old = member and tonumber(redis.call('ZSCORE', keys.scores, member)) or nil
  local new = value
  if op == 'best' and old then
    if (desc and old > value) or (not desc and old < value) then new = old end
  elseif op == 'incr' then
    new = (old or 0) + value
  elseif op == 'decr' then
    new = (old or 0) - value
  end
  if new ~= new or new == math.huge or new == -math.huge then
    return redis.error_reply('ERR leaderboard: the new score is not a finite number')
  end
  boards[#boards + 1] = {keys = keys, ends = ends, member = member, old = old, new = new}
end

local reply = {}
for _, b in ipairs(boards) do
  local keys, member = b.keys, b.member
  local previous = rank_of(keys, desc, member)
  local stored = info
  if stored == '' then
    stored = member and select(2, split_member(tie, member)) or new_info
  end
  local prefix = ''
  if tie == 'e' then
    if member and b.new == b.old then
      prefix = string.sub(member, 1, 16)  -- the same score: reached when it was first reached
    else
      local seq = redis.call('INCR', base .. ':seq')
      prefix = string.format('%016x', desc and 2 ^ 53 - seq or seq)
    end
  end
  local now_member = prefix .. player .. '\0' .. stored
  if now_member ~= member then
    if member then redis.call('ZREM', keys.scores, member) end
    redis.call('HSET', keys.players, player, now_member)
  end
  if now_member ~= member or b.new ~= b.old then
    redis.call('ZADD', keys.scores, string.format('%.17g', b.new), now_member)
  end
  if max_size > 0 then
    local excess = redis.call('ZCARD', keys.scores) - max_size
    if excess > 0 then
      -- The worst ranked: the start of the opposite order.
      local worst = redis.call(desc and 'ZRANGE' or 'ZREVRANGE', keys.scores, 0, excess - 1)
      local ids = {}
      for i, m in ipairs(worst) do ids[i] = split_member(tie, m) end
      redis.call('ZREM', keys.scores, unpack(worst))
      redis.call('HDEL', keys.players, unpack(ids))
    end
  end
  if b.ends then
    local at = b.ends + retention
    redis.call('PEXPIREAT', keys.scores, at)
    redis.call('PEXPIREAT', keys.players, at)
  end
  local rank = rank_of(keys, desc, now_member)
  reply[#reply + 1] = rank and rank + 1 or 0
  reply[#reply + 1] = previous and previous + 1 or 0
  reply[#reply + 1] = string.format('%.17g', b.new)
end
return reply
