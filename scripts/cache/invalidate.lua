-- Drops one cache entry and its load lock, and broadcasts the change.
-- Atomicity: one script over the entry and its lock (one hash tag).
-- KEYS[1]   the entry hash       KEYS[2] the lock
-- ARGV[1]   invalidation channel ('' : none)   ARGV[2] its message
-- Reply     1 if the entry existed, else 0
-- Cost      O(1).

local existed = redis.call('DEL', KEYS[1])
redis.call('DEL', KEYS[2])
if ARGV[1] ~= '' then redis.call('PUBLISH', ARGV[1], ARGV[2]) end
return existed
