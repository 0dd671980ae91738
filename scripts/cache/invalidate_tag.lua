-- Drops every cache entry that carries a tag, then the tag's set, and broadcasts the change.
-- The set may list keys rewritten since without the tag: each entry's own tags decide.
-- Atomicity: one script over one cache's keys (one hash tag).
-- KEYS[1]   the tag set
-- ARGV[1]   the tag   ARGV[2] entry key prefix (the entry is prefix .. member)
-- ARGV[3]   invalidation channel ('' : none)   ARGV[4] its message
-- Reply     entries dropped
-- Cost      O(n), n keys in the tag set.
-- #include cache/lib/entry.lua

local tag, prefix = ARGV[1], ARGV[2]
local dropped = 0
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local entry = prefix .. member
  if has_tag(redis.call('HGET', entry, 'g'), tag) then
    dropped = dropped + redis.call('DEL', entry)
  end
end
redis.call('DEL', KEYS[1])
if ARGV[3] ~= '' then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
return dropped
