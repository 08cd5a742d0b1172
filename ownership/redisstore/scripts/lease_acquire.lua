-- lease_acquire: take lease KEYS[1] for ARGV[1] until ARGV[3], or renew it
-- when ARGV[1] already holds it (same fence, new until), also after it
-- expired if nobody took it meanwhile. A lease that is free, released
-- (holder '') or expired (until <= now) is taken with its fence plus one.
-- Expiry is decided by the caller's now, never by the server's clock, and
-- the hash never expires: the fence in it only grows.
--
-- Safe to run again with the same arguments (go-redis re-sends a script
-- whose reply was lost): the re-run finds ARGV[1] holding the lease and
-- renews it to the same until, keeping the fence.
--
-- KEYS[1] {p}:lease:<name>
-- ARGV[1] holder (never '')
-- ARGV[2] now        ARGV[3] until
-- (both as leaseTime strings: string order is time order)
--
-- Replies: {'OK', fence, until}, the lease is ARGV[1]'s; {'HELD', holder,
-- fence, until}, someone else's: nothing written.
local cur = redis.call('HMGET', KEYS[1], 'holder', 'fence', 'until')
local holder = cur[1] or ''
if holder ~= '' and holder ~= ARGV[1] and cur[3] > ARGV[2] then
  return {'HELD', holder, cur[2], cur[3]}
end
if holder ~= ARGV[1] then
  redis.call('HINCRBY', KEYS[1], 'fence', 1)
end
redis.call('HSET', KEYS[1], 'holder', ARGV[1], 'until', ARGV[3])
return {'OK', redis.call('HGET', KEYS[1], 'fence'), ARGV[3]}
