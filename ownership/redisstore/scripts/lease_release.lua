-- lease_release: give lease KEYS[1] up while ARGV[1] holds it with fence
-- ARGV[2]; otherwise do nothing. The fence stays, so the next taker gets
-- the one after it. Safe to run again: a re-run finds the lease released.
--
-- KEYS[1] {p}:lease:<name>
-- ARGV[1] holder     ARGV[2] fence
--
-- Reply: {'OK'}.
local cur = redis.call('HMGET', KEYS[1], 'holder', 'fence')
if cur[1] == ARGV[1] and cur[2] == ARGV[2] then
  redis.call('HSET', KEYS[1], 'holder', '')
end
return {'OK'}
