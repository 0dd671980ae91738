-- A queue's counts in one snapshot.
-- Atomicity: one script.
-- KEYS[1]   the queue's base name
-- Reply     {pending, delayed, active, dead, completed total, failed total, paused 1|0}
-- Cost      O(1).
local base = KEYS[1]
local s = redis.call('HMGET', base .. ':stats', 'completed', 'failed')
return {redis.call('ZCARD', base .. ':pending'), redis.call('ZCARD', base .. ':delayed'),
        redis.call('ZCARD', base .. ':active'), redis.call('ZCARD', base .. ':dead'),
        tonumber(s[1]) or 0, tonumber(s[2]) or 0, redis.call('EXISTS', base .. ':paused')}
