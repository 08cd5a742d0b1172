-- finish: record how one attempt of an outbox item ended, only while the
-- item is sending at that attempt (the claim is the fence). Safe to run
-- again with the same arguments: the run records its token in the item's
-- fin field, and a re-run finding it answers OK without writing.
--
-- KEYS[1] {p}:ob:item:<id>       KEYS[2] {p}:ob:due
-- KEYS[3] {p}:ob:lease           KEYS[4] {p}:ob:state:<current state> (sending, or sent/dead for attempt 0)
-- KEYS[5] {p}:ob:state:<new state>   KEYS[6] {p}:ob:all
-- ARGV[1] id                     ARGV[2] attempt
-- ARGV[3] new state: sent, pending (a retry) or dead
-- ARGV[4] next_at, RFC 3339 nanos (for pending)
-- ARGV[5] next_at, unix ms (for pending)
-- ARGV[6] last_error ('' clears it)
-- ARGV[7] provider_ref ('' keeps the stored one)
-- ARGV[8] updated_at, RFC 3339 nanos
-- ARGV[9] token of this call
--
-- Replies: {'OK'}; {'NOTFOUND'}; {'CONFLICT'} (not sending at that
-- attempt). Nothing is written unless the reply is OK.
local cur = redis.call('HMGET', KEYS[1], 'state', 'attempts', 'fin')
if not cur[1] then
  return {'NOTFOUND'}
end
if cur[3] == ARGV[9] then
  return {'OK'}
end
if ARGV[2] == '0' then
  -- attempt 0, out of band: the provider later reported a sent item
  -- undeliverable (sent -> dead), or a manager retries one (dead -> pending)
  if not ((cur[1] == 'sent' and ARGV[3] == 'dead') or (cur[1] == 'dead' and ARGV[3] == 'pending')) then
    return {'CONFLICT'}
  end
elseif cur[1] ~= 'sending' or cur[2] ~= ARGV[2] then
  return {'CONFLICT'}
end

local id, state = ARGV[1], ARGV[3]
redis.call('ZREM', KEYS[3], id)
redis.call('ZREM', KEYS[4], id)
redis.call('ZADD', KEYS[5], redis.call('ZSCORE', KEYS[6], id), id)
redis.call('HSET', KEYS[1], 'state', state, 'lease_until', '', 'last_error', ARGV[6],
  'updated_at', ARGV[8], 'fin', ARGV[9])
if ARGV[7] ~= '' then
  redis.call('HSET', KEYS[1], 'provider_ref', ARGV[7])
end
if state == 'pending' then
  redis.call('HSET', KEYS[1], 'next_at', ARGV[4], 'due', ARGV[5])
  redis.call('ZADD', KEYS[2], ARGV[5], id)
end
return {'OK'}
