-- The dead-letter set: list (oldest first), retry (pending again, attempts and error reset) or
-- delete jobs, given by id or all of them.
-- Atomicity: one script.
-- KEYS[1]   the queue's base name
-- ARGV[1]   list | retry | delete   ARGV[2] list: offset; retry/delete: '*' for all, else ''
-- ARGV[3]   list: count
-- ARGV[4..] retry/delete: job ids
-- Reply     list: {total, then per job: id, packed data (see lib/queue.lua), attempts, error,
--           died (ms)}; retry/delete: the number of jobs affected
-- Cost      O(m log n), m jobs touched.
-- #include queue/lib/queue.lua

local base, op = KEYS[1], ARGV[1]
local dead = base .. ':dead'
if op == 'list' then
  local reply = {redis.call('ZCARD', dead)}
  local offset = tonumber(ARGV[2])
  local rows = redis.call('ZRANGE', dead, offset, offset + tonumber(ARGV[3]) - 1, 'WITHSCORES')
  local ids = {}
  for i = 1, #rows, 2 do ids[#ids + 1] = rows[i] end
  local data = hmget_all(base .. ':data', ids)
  local runs, errors = hmget_all(base .. ':run', ids), hmget_all(base .. ':error', ids)
  for i = 1, #ids do
    reply[#reply + 1] = ids[i]
    reply[#reply + 1] = data[i] or ''
    reply[#reply + 1] = (run_of(runs[i]))
    reply[#reply + 1] = errors[i] or ''
    reply[#reply + 1] = tonumber(rows[2 * i])
  end
  return reply
end

local ids = {}
if ARGV[2] == '*' then
  ids = redis.call('ZRANGE', dead, 0, -1)
else
  for a = 4, #ARGV do ids[#ids + 1] = ARGV[a] end
end
local affected = {}
for _, id in ipairs(ids) do
  if redis.call('ZREM', dead, id) == 1 then affected[#affected + 1] = id end
end
if op == 'retry' then
  variadic('HDEL', base .. ':run', affected)
  variadic('HDEL', base .. ':error', affected)
  local data, priorities = hmget_all(base .. ':data', affected), {}
  for i = 1, #affected do priorities[i] = data_limits(data[i]) end
  make_pending(base, affected, priorities)
  if #affected > 0 then redis.call('PUBLISH', base .. ':wake', '1') end
else
  forget(base, affected)
end
return #affected
