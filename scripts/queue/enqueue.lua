-- Enqueues jobs: pending (by priority, FIFO within one) or delayed until their time. A job whose
-- id is already pending, delayed, active or failed (waiting for its retry) is left alone and
-- reported as existing; a finished one (dead or completed) is replaced by the new job.
-- Atomicity: one script for the whole batch; jobs are taken in order, as if enqueued one by one.
-- KEYS[1]   the queue's base name
-- ARGV[1..] per job, 7 values: id, type, payload, priority (0 .. 2^20), max attempts,
--           when: delay in ms (0: now) or '@' and a time in ms since the epoch (by the store's
--           clock; a past time: now), timeout (ms; 0: none)
-- Reply     per job: 1 created | 0 existing, then its state
-- Cost      O(log n) per job, in a fixed number of variadic calls for new ids.
-- #include queue/lib/queue.lua

local base = KEYS[1]
local now = now_ms()
local ids = {}
for a = 1, #ARGV, 7 do ids[#ids + 1] = ARGV[a] end
local existing = hmget_all(base .. ':data', ids)
local reply, data, pending, priorities, delayed, given = {}, {}, {}, {}, {}, {}
for i = 1, #ids do
  local a, id = 7 * i - 6, ids[i]
  local state = given[id]
  if not state and existing[i] then
    state = state_of(base, id)
    if state == 'dead' or state == 'completed' or not state then
      -- finished before: a fresh job under the same id
      redis.call('ZREM', base .. ':dead', id)
      redis.call('ZREM', base .. ':done', id)
      redis.call('HDEL', base .. ':run', id)
      redis.call('HDEL', base .. ':error', id)
      state = nil
    end
  end
  if state then
    reply[#reply + 1] = 0
    reply[#reply + 1] = state
  else
    local priority, when = tonumber(ARGV[a + 3]), ARGV[a + 5]
    local due = now + (tonumber(when) or 0)
    if string.sub(when, 1, 1) == '@' then due = tonumber(string.sub(when, 2)) end
    data[#data + 1] = id
    data[#data + 1] = pack_data(priority, ARGV[a + 4], ARGV[a + 6], now, ARGV[a + 1], ARGV[a + 2])
    if due > now then
      delayed[#delayed + 1] = due
      delayed[#delayed + 1] = id
      state = 'delayed'
    else
      pending[#pending + 1] = id
      priorities[#priorities + 1] = priority
      state = 'pending'
    end
    given[id] = state
    reply[#reply + 1] = 1
    reply[#reply + 1] = state
  end
end
variadic('HSET', base .. ':data', data)
make_pending(base, pending, priorities)
variadic('ZADD', base .. ':delayed', delayed)
if #pending > 0 then redis.call('PUBLISH', base .. ':wake', '1') end
return reply
