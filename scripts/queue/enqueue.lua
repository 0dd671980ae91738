-- Enqueues jobs: pending (by priority, FIFO within one) or delayed until their time. A job whose
-- id is already pending, delayed, active or failed (waiting for its retry) is left alone and
-- reported as existing.
-- Atomicity: one script for the whole batch.
-- KEYS[1]   the queue's base name
-- ARGV[1..] per job, 7 values: id, type, payload, priority (0 .. 2^20), max attempts,
--           when: delay in ms (0: now) or '@' and a time in ms since the epoch (by the store's
--           clock; a past time: now), timeout (ms; 0: none)
-- Reply     per job: 1 created | 0 existing, then its state
-- Cost      O(log n) per job.
-- #include queue/lib/queue.lua

local base = KEYS[1]
local now = now_ms()
local reply, wake = {}, false
for a = 1, #ARGV, 7 do
  local id, priority, when = ARGV[a], tonumber(ARGV[a + 3]), ARGV[a + 5]
  local due = now + (tonumber(when) or 0)
  if string.sub(when, 1, 1) == '@' then due = tonumber(string.sub(when, 2)) end
  local key = job_key(base, id)
  local state = redis.call('HGET', key, 'state')
  if state == 'pending' or state == 'delayed' or state == 'active' or state == 'failed' then
    reply[#reply + 1] = 0
    reply[#reply + 1] = state
  else
    if state then  -- finished before: a fresh job under the same id
      redis.call('DEL', key)
      redis.call('ZREM', base .. ':dead', id)
      redis.call('ZREM', base .. ':done', id)
    end
    redis.call('HSET', key, 'type', ARGV[a + 1], 'payload', ARGV[a + 2], 'priority', priority,
               'max_attempts', ARGV[a + 4], 'attempts', 0, 'timeout', ARGV[a + 6],
               'created', now, 'error', '')
    if due > now then
      redis.call('ZADD', base .. ':delayed', due, id)
      redis.call('HSET', key, 'state', 'delayed', 'token', '')
      state = 'delayed'
    else
      make_pending(base, id, priority)
      state, wake = 'pending', true
    end
    reply[#reply + 1] = 1
    reply[#reply + 1] = state
  end
end
if wake then redis.call('PUBLISH', base .. ':wake', '1') end
return reply
