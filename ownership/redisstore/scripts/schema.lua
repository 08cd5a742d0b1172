-- schema: record layout version ARGV[1] in an empty installation, or
-- upgrade one stored at a version among ARGV[2..] (older layouts this
-- build reads as they are, the newer one only adding keys) by rewriting
-- the version. Any other stored value is left for the caller to judge.
--
-- KEYS[1] {p}:schema
-- ARGV[1] this build's version   ARGV[2..] versions upgraded in place
--
-- Reply: {stored before ('' when none), stored now}.
local cur = redis.call('GET', KEYS[1])
if not cur then
  redis.call('SET', KEYS[1], ARGV[1])
  return {'', ARGV[1]}
end
for i = 2, #ARGV do
  if cur == ARGV[i] then
    redis.call('SET', KEYS[1], ARGV[1])
    return {cur, ARGV[1]}
  end
end
return {cur, cur}
