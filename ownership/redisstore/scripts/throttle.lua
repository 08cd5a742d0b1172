-- throttle: count one failure under a key, starting again at 1 when the
-- count was forgotten (its exp, unix ms, passed by the caller's now).
--
-- KEYS[1] {p}:thr:<key>
-- ARGV[1] now, unix ms   ARGV[2] now + ttl, unix ms   ARGV[3] ttl ms
--
-- Reply: the new count.
local cur = redis.call('HMGET', KEYS[1], 'n', 'exp')
local n = 1
if cur[1] and tonumber(cur[2]) > tonumber(ARGV[1]) then
  n = tonumber(cur[1]) + 1
end
redis.call('HSET', KEYS[1], 'n', n, 'last', ARGV[1], 'exp', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return n
