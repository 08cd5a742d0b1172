-- claim: hand out up to limit outbox items to send — pending ones due at
-- now and sending ones whose lease ended — oldest next_at first (ties: the
-- smaller id). Each becomes sending, attempts+1, with a new lease.
--
-- Safe to run again with the same arguments (go-redis re-sends a script
-- whose reply was lost): the run records what it claimed in KEYS[6]
-- (id, attempts pairs; TTL ARGV[7] ms), and a re-run answers with those
-- of them still sending at that attempt, claiming nothing new.
--
-- KEYS[1] {p}:ob:due             KEYS[2] {p}:ob:lease
-- KEYS[3] {p}:ob:state:pending   KEYS[4] {p}:ob:state:sending
-- KEYS[5] {p}:ob:all             KEYS[6] {p}:obclaim:<token>
-- ARGV[1] key prefix "{p}:"      ARGV[2] now, unix ms
-- ARGV[3] limit (> 0)            ARGV[4] lease end, unix ms
-- ARGV[5] lease end, RFC 3339 nanos
-- ARGV[6] now, RFC 3339 nanos (the claimed items' updated_at)
-- ARGV[7] KEYS[6] TTL in ms
--
-- The item hashes, {p}:ob:item:<id>, are named here from ARGV[1] and the
-- ids read from the zsets: they carry the same hash tag.
--
-- Reply: a list of items, each {id, ticket, json, state, attempts, next_at,
-- lease_until, last_error, provider_ref, updated_at}.
local prefix = ARGV[1]
local fields = {'ticket', 'json', 'state', 'attempts', 'next_at', 'lease_until',
  'last_error', 'provider_ref', 'updated_at'}

local function item(id)
  local r = redis.call('HMGET', prefix .. 'ob:item:' .. id, unpack(fields))
  table.insert(r, 1, id)
  return r
end

local done = redis.call('LRANGE', KEYS[6], 0, -1)
if #done > 0 then
  local out = {}
  for i = 1, #done, 2 do
    local st = redis.call('HMGET', prefix .. 'ob:item:' .. done[i], 'state', 'attempts')
    if st[1] == 'sending' and st[2] == done[i + 1] then
      out[#out + 1] = item(done[i])
    end
  end
  return out
end

local limit = tonumber(ARGV[3])
local cand = {}
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'WITHSCORES', 'LIMIT', 0, limit)
for i = 1, #due, 2 do
  cand[#cand + 1] = {due[i], tonumber(due[i + 1])}
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[2])) do
  cand[#cand + 1] = {id, tonumber(redis.call('HGET', prefix .. 'ob:item:' .. id, 'due'))}
end
table.sort(cand, function(a, b)
  if a[2] ~= b[2] then
    return a[2] < b[2]
  end
  return a[1] < b[1]
end)

local out = {}
for i = 1, math.min(limit, #cand) do
  local id = cand[i][1]
  local k = prefix .. 'ob:item:' .. id
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZREM', KEYS[3], id)
  redis.call('ZADD', KEYS[2], ARGV[4], id)
  redis.call('ZADD', KEYS[4], redis.call('ZSCORE', KEYS[5], id), id)
  local n = redis.call('HINCRBY', k, 'attempts', 1)
  redis.call('HSET', k, 'state', 'sending', 'lease_until', ARGV[5], 'updated_at', ARGV[6])
  redis.call('RPUSH', KEYS[6], id, n)
  out[#out + 1] = item(id)
end
if #out > 0 then
  redis.call('PEXPIRE', KEYS[6], ARGV[7])
end
return out
