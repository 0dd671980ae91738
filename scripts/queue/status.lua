-- One job's state, attempts, last error and fixed fields.
-- Atomicity: one script (a snapshot).
-- KEYS[1]   the queue's base name
-- ARGV[1]   the job's id
-- Reply     nil for an unknown (or removed) id, else {state, packed data (see lib/queue.lua),
--           attempts, last error ('' when none)}
-- Cost      O(log n).
-- #include queue/lib/queue.lua

local base, id = KEYS[1], ARGV[1]
local data = redis.call('HGET', base .. ':data', id)
local state = data and state_of(base, id)
if not state then return nil end
return {state, data, (run_of(redis.call('HGET', base .. ':run', id))),
        redis.call('HGET', base .. ':error', id) or ''}
