-- update: compare-and-set one ticket on its revision (hash field v), move
-- its indexes and load, append its events, in one atomic step. Safe to run again with the same arguments at
-- any later time (go-redis re-sends a script whose reply was lost, possibly
-- after other replicas updated the ticket): every applied update records
-- its OpID in its own key {p}:op:<opid> (value: the ticket id, TTL ARGV[13])
-- and in the ticket's lastop field, and a re-run whose OpID is recorded for
-- this ticket answers with the current ticket without writing. The op key is
-- what makes a replay safe after a later update by someone else; lastop
-- still catches the latest update's replay once the op key has expired.
--
-- KEYS[1] {p}:t:<n>        KEYS[2] {p}:ev:<n>      KEYS[3] {p}:t:<n>:idx
-- KEYS[4] {p}:load         KEYS[5] {p}:lastassigned
-- KEYS[6] {p}:dedup:<key> (KEYS[1] again when none)
-- KEYS[7] {p}:op:<opid>
-- KEYS[8] {p}:ob:due       KEYS[9] {p}:ob:all      KEYS[10] {p}:ob:state:pending
-- KEYS[11 .. 10+ni] {p}:ob:item:<id> of each outbox item
-- KEYS[11+ni ..] the index zsets the new state belongs in
-- ARGV[1] "1" when KEYS[6] is a dedup key        ARGV[2] op id (never "")
-- ARGV[3] expected revision (Ticket.Rev)  ARGV[4] new revision
-- ARGV[5] number n
-- ARGV[6] id T-<n>          ARGV[7] new owner     ARGV[8] new status
-- ARGV[9] new active "1"/"0"
-- ARGV[10] owner capacity (0 = unchecked; checked only when the owner changes)
-- ARGV[11] assigned-at unix nanos, "" when unset
-- ARGV[12] the new ticket JSON (rev already ARGV[4]; version as the
-- caller set it)
-- ARGV[13] op key TTL seconds
-- ARGV[14] ne, the number of events       ARGV[15] ni, the number of items
-- ARGV[16 .. 15+ne] events JSON minus their leading '{"seq":0,'
-- ARGV[16+ne ..] the outbox items, OB_ARGS each (see outbox_lib); an item
-- without a ticket gets ARGV[6]
--
-- Replies: {'OK', json}; {'REPLAY', json} (the op was applied before; json
-- is the current ticket); {'NOTFOUND'}; {'DUP'}; {'CONFLICT'}; {'FULL'}.
-- Nothing is written unless the reply is OK.
local ne, ni = tonumber(ARGV[14]), tonumber(ARGV[15])
local cur = redis.call('HMGET', KEYS[1], 'v', 'owner', 'active', 'lastop', 'json')
if not cur[1] then
  return {'NOTFOUND'}
end
-- The op key must name this ticket: an OpID a caller reused on another
-- ticket is not a replay of this change.
if cur[4] == ARGV[2] or redis.call('GET', KEYS[7]) == ARGV[6] then
  return {'REPLAY', cur[5]}
end
if ARGV[1] == '1' and redis.call('EXISTS', KEYS[6]) == 1 then
  return {'DUP'}
end
if cur[1] ~= ARGV[3] then
  return {'CONFLICT'}
end

local old, owner = cur[2], ARGV[7]
local cap = tonumber(ARGV[10])
if owner ~= old and owner ~= '' and cap > 0 then
  local load = tonumber(redis.call('HGET', KEYS[4], owner) or '0')
  if load >= cap then
    return {'FULL'}
  end
end

if cur[3] == '1' and old ~= '' then
  redis.call('HINCRBY', KEYS[4], old, -1)
end
if ARGV[9] == '1' and owner ~= '' then
  redis.call('HINCRBY', KEYS[4], owner, 1)
end
if owner ~= old and owner ~= '' and ARGV[11] ~= '' then
  redis.call('HSET', KEYS[5], owner, ARGV[11])
end

local n = ARGV[5]
local want = {}
for i = 11 + ni, #KEYS do
  want[KEYS[i]] = true
end
for _, k in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  if not want[k] then
    redis.call('ZREM', k, n)
    redis.call('SREM', KEYS[3], k)
  end
end
for i = 11 + ni, #KEYS do
  redis.call('ZADD', KEYS[i], n, n)
  redis.call('SADD', KEYS[3], KEYS[i])
end

local base = redis.call('LLEN', KEYS[2])
for i = 1, ne do
  redis.call('RPUSH', KEYS[2], '{"seq":' .. (base + i) .. ',' .. ARGV[15 + i])
end

ob_enqueue(KEYS[8], KEYS[9], KEYS[10], 11, 16 + ne, ni, ARGV[6])

redis.call('HSET', KEYS[1], 'v', ARGV[4], 'owner', owner, 'status', ARGV[8],
  'active', ARGV[9], 'lastop', ARGV[2], 'json', ARGV[12])
if ARGV[1] == '1' then
  redis.call('SET', KEYS[6], ARGV[6])
end
redis.call('SET', KEYS[7], ARGV[6], 'EX', ARGV[13])
return {'OK', ARGV[12]}
