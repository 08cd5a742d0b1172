-- flag_fenced: set flag KEYS[2] only while lease KEYS[1] is at fence
-- ARGV[1] (nobody took the lease since the caller got it). Safe to run
-- again with the same arguments: the write is the same; if the lease was
-- taken over in between, the re-run answers CONFLICT although the first
-- run (fenced at its time) wrote.
--
-- KEYS[1] {p}:lease:<name>   KEYS[2] {p}:flag:<key>
-- ARGV[1] fence              ARGV[2] value ('' deletes the flag)
--
-- Replies: {'OK'}; {'CONFLICT'}, nothing written (a lease never taken has
-- no fence).
if redis.call('HGET', KEYS[1], 'fence') ~= ARGV[1] then
  return {'CONFLICT'}
end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[2])
else
  redis.call('SET', KEYS[2], ARGV[2])
end
return {'OK'}
