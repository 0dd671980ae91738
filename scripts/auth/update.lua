-- Changes an account's roles and premium flag, if the email has an account.
-- Atomicity: one script on the email's one key: no account is made by it, and the fields are
-- read back as written.
-- KEYS[1]   the account hash of the email
-- ARGV[1]   roles (JSON array, opaque here), or '' to keep them
-- ARGV[2]   premium ('0' or '1'), or '' to keep it
-- Reply     the account: {id, email, password, roles, premium, created}; nil when none.
-- Cost      O(1).

local key, roles, premium = KEYS[1], ARGV[1], ARGV[2]

if redis.call('EXISTS', key) == 0 then return false end
if roles ~= '' then redis.call('HSET', key, 'roles', roles) end
if premium ~= '' then redis.call('HSET', key, 'premium', premium) end
return redis.call('HMGET', key, 'id', 'email', 'password', 'roles', 'premium', 'created')
