-- The dead-letter set: list (oldest first), retry (pending again, attempts reset) or delete
-- jobs, given by id or all of them.
-- Atomicity: one script.
-- KEYS[1]   the queue's base name
-- ARGV[1]   list | retry | delete   ARGV[2] list: offset; retry/delete: '*' for all, else ''
-- ARGV[3]   list: count
-- ARGV[4..] retry/delete: job ids
-- Reply     list: {total, then per job: id, type, payload, attempts, max attempts, error,
--           created, died}; retry/delete: the number of jobs affected
-- Cost      O((m) log n), m jobs touched.
-- #include queue/lib/queue.lua

local base, op = KEYS[1], ARGV[1]
local dead = base .. ':dead'
if op == 'list' then
  local reply = {redis.call('ZCARD', dead)}
  local offset = tonumber(ARGV[2])
  local rows = redis.call('ZRANGE', dead, offset, offset + tonumber(ARGV[3]) - 1, 'WITHSCORES')
  for i = 1, #rows, 2 do
    local j = redis.call('HMGET', job_key(base, rows[i]), 'type', 'payload', 'attempts',
                         'max_attempts', 'error', 'created')
    for _, x in ipairs({rows[i], j[1] or '', j[2] or '', tonumber(j[3]) or 0, tonumber(j[4]) or 0,
                        j[5] or '', tonumber(j[6]) or 0, tonumber(rows[i + 1])}) do
      reply[#reply + 1] = x
    end
  end
  return reply
end

local ids = {}
if ARGV[2] == '*' then
  ids = redis.call('ZRANGE', dead, 0, -1)
else
  for a = 4, #ARGV do ids[#ids + 1] = ARGV[a] end
end
local count = 0
for _, id in ipairs(ids) do
  if redis.call('ZREM', dead, id) == 1 then
    count = count + 1
    local key = job_key(base, id)
    if op == 'retry' then
      redis.call('HSET', key, 'attempts', 0, 'error', '')
      make_pending(base, id, tonumber(redis.call('HGET', key, 'priority')) or 0)
    else
      redis.call('DEL', key)
    end
  end
end
if op == 'retry' and count > 0 then redis.call('PUBLISH', base .. ':wake', '1') end
return count
