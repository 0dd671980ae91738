-- Renews the leases of jobs this worker still holds (heartbeat), or gives them back (a stopping
-- worker's unfinished jobs: pending again at once, the interrupted attempt not counted).
-- Atomicity: one script; a job whose token differs (its lease was lost) is left alone.
-- KEYS[1]   the queue's base name
-- ARGV[1]   mode: renew | release   ARGV[2] lease (ms, renew)
-- ARGV[3..] per job: id, token
-- Reply     per job: renew: the lease's new end (ms since the epoch, by the store's clock) | 0
--           (lease lost); release: 1 | 0 (lease lost)
-- Cost      O(log n) per job.
-- #include queue/lib/queue.lua

local base, mode, lease = KEYS[1], ARGV[1], tonumber(ARGV[2])
local now = now_ms()
local ids = {}
for a = 3, #ARGV, 2 do ids[#ids + 1] = ARGV[a] end
local runs = hmget_all(base .. ':run', ids)
local reply, held, attempts, seen = {}, {}, {}, {}
for i = 1, #ids do
  local n, holder = run_of(runs[i])
  if holder and holder == ARGV[2 * i + 2] and not seen[ids[i]] then
    seen[ids[i]] = true
    held[#held + 1] = ids[i]
    attempts[#attempts + 1] = n
    reply[i] = 1
  else
    reply[i] = 0
  end
end
if mode == 'renew' then
  local leases, ends = {}, tostring(now + lease)
  for _, id in ipairs(held) do
    leases[#leases + 1] = ends
    leases[#leases + 1] = id
  end
  variadic('ZADD', base .. ':active', leases)
  for i = 1, #ids do
    if reply[i] == 1 then reply[i] = now + lease end
  end
elseif #held > 0 then
  variadic('ZREM', base .. ':active', held)
  local data, priorities, counts = hmget_all(base .. ':data', held), {}, {}
  for i, id in ipairs(held) do
    counts[#counts + 1] = id
    counts[#counts + 1] = math.max(0, attempts[i] - 1)  -- the lease is gone, its run uncounted
    priorities[i] = data_limits(data[i])
  end
  variadic('HSET', base .. ':run', counts)
  make_pending(base, held, priorities)
  redis.call('PUBLISH', base .. ':wake', '1')
end
return reply
