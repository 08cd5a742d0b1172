-- create: one new ticket with its events, indexes, owner load and dedup key,
-- in one atomic step. Safe to run twice with the same arguments (go-redis
-- re-sends a script whose reply was lost): the per-call op key answers the
-- second run with the first run's ticket.
--
-- KEYS[1] {p}:seq            KEYS[2] {p}:load        KEYS[3] {p}:lastassigned
-- KEYS[4] {p}:op:<token>     KEYS[5] {p}:dedup:<key> (KEYS[4] again when none)
-- KEYS[6] {p}:ob:due         KEYS[7] {p}:ob:all      KEYS[8] {p}:ob:state:pending
-- KEYS[9 .. 8+ni] {p}:ob:item:<id> of each outbox item
-- KEYS[9+ni ..] the index zsets the ticket joins
-- ARGV[1] key prefix "{p}:"  ARGV[2] "1" when KEYS[5] is a dedup key
-- ARGV[3] owner              ARGV[4] status          ARGV[5] active "1"/"0"
-- ARGV[6] owner capacity (0 = unchecked)
-- ARGV[7] assigned-at unix nanos, "" when unset
-- ARGV[8] op key TTL seconds
-- ARGV[9] ticket JSON minus its '{' and the id, number, version fields
-- ARGV[10] ne, the number of events       ARGV[11] ni, the number of items
-- ARGV[12 .. 11+ne] events JSON minus their leading '{"seq":0,'
-- ARGV[12+ne ..] the outbox items, OB_ARGS each (see outbox_lib); an item
-- without a ticket gets the new ticket's id
--
-- Replies: {'OK', json} created; {'REPLAY', json} this very call already
-- created it; {'DUP', json} the dedup key names an existing ticket;
-- {'FULL'} owner at capacity. Nothing is written unless the reply is OK.
local prefix = ARGV[1]
local ne, ni = tonumber(ARGV[10]), tonumber(ARGV[11])

local function ticket_json(id)
  return redis.call('HGET', prefix .. 't:' .. string.sub(id, 3), 'json')
end

local done = redis.call('GET', KEYS[4])
if done then
  return {'REPLAY', ticket_json(done)}
end
if ARGV[2] == '1' then
  local id = redis.call('GET', KEYS[5])
  if id then
    return {'DUP', ticket_json(id)}
  end
end

local owner = ARGV[3]
local cap = tonumber(ARGV[6])
if cap > 0 and owner ~= '' then
  local load = tonumber(redis.call('HGET', KEYS[2], owner) or '0')
  if load >= cap then
    return {'FULL'}
  end
end

local n = redis.call('INCR', KEYS[1])
local id = 'T-' .. n
local json = '{"id":"' .. id .. '","number":' .. n .. ',"version":1,' .. ARGV[9]
local tk = prefix .. 't:' .. n
redis.call('HSET', tk, 'v', '1', 'owner', owner, 'status', ARGV[4],
  'active', ARGV[5], 'lastop', '', 'json', json)

local ev = prefix .. 'ev:' .. n
for i = 1, ne do
  redis.call('RPUSH', ev, '{"seq":' .. i .. ',' .. ARGV[11 + i])
end

local ix = tk .. ':idx'
for i = 9 + ni, #KEYS do
  redis.call('ZADD', KEYS[i], n, n)
  redis.call('SADD', ix, KEYS[i])
end

ob_enqueue(KEYS[6], KEYS[7], KEYS[8], 9, 12 + ne, ni, id)

if ARGV[5] == '1' and owner ~= '' then
  redis.call('HINCRBY', KEYS[2], owner, 1)
end
if owner ~= '' and ARGV[7] ~= '' then
  redis.call('HSET', KEYS[3], owner, ARGV[7])
end
if ARGV[2] == '1' then
  redis.call('SET', KEYS[5], id)
end
redis.call('SET', KEYS[4], id, 'EX', ARGV[8])
return {'OK', json}
