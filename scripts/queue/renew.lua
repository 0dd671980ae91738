-- Renews the leases of jobs this worker still holds (heartbeat), or gives them back (a stopping
-- worker's unfinished jobs: pending again at once, the interrupted attempt not counted).
-- Atomicity: one script; a job whose token differs (its lease was lost) is left alone.
-- KEYS[1]   the queue's base name
-- ARGV[1]   mode: renew | release   ARGV[2] lease (ms, renew)
-- ARGV[3..] per job: id, token
-- Reply     per job: 1 | 0 (lease lost)
-- Cost      O(log n) per job.
-- #include queue/lib/queue.lua

local base, mode, lease = KEYS[1], ARGV[1], tonumber(ARGV[2])
local now = now_ms()
local reply, wake = {}, false
for a = 3, #ARGV, 2 do
  local id, tok = ARGV[a], ARGV[a + 1]
  local key = job_key(base, id)
  local j = redis.call('HMGET', key, 'state', 'token', 'priority')
  if j[1] ~= 'active' or j[2] ~= tok then
    reply[#reply + 1] = 0
  else
    reply[#reply + 1] = 1
    if mode == 'renew' then
      redis.call('ZADD', base .. ':active', now + lease, id)
    else
      redis.call('ZREM', base .. ':active', id)
      redis.call('HINCRBY', key, 'attempts', -1)
      make_pending(base, id, tonumber(j[3]) or 0)
      wake = true
    end
  end
end
if wake then redis.call('PUBLISH', base .. ':wake', '1') end
return reply
