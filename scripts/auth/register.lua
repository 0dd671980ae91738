-- Creates a user account for an email unless the email already has one.
-- Atomicity: one script on the email's one key, so of concurrent registrations of one email
-- exactly one creates the account and the others see it taken.
-- KEYS[1]   the account hash of the email
-- ARGV[1]   user id           ARGV[2] email (normalised)
-- ARGV[3]   password hash     ARGV[4] roles (JSON array, opaque here)
-- ARGV[5]   premium ('0' or '1')
-- Reply     {1, created ms} when created; {0} when the email has an account.
-- Cost      O(1).

local key = KEYS[1]
local id, email, password, roles, premium = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]

if redis.call('EXISTS', key) == 1 then return {0} end
local t = redis.call('TIME')
local created = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', key, 'id', id, 'email', email, 'password', password, 'roles', roles,
  'premium', premium, 'created', tostring(created))
return {1, created}
