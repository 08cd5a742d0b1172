-- outbox_lib: prepended (by scripts.go) to the scripts that enqueue outbox
-- items: create, update and enqueue.
--
-- ob_enqueue stores n items whose hash keys are KEYS[kfirst .. kfirst+n-1]
-- and whose arguments start at ARGV[abase], OB_ARGS per item:
--   +0 id           +1 ticket ('' = the ticket argument)
--   +2 immutable JSON (id, channel, to, subject, body, purpose, headers,
--      created_at)
--   +3 attempts     +4 next_at (RFC 3339 nanos)       +5 last_error
--   +6 provider_ref +7 updated_at (RFC 3339 nanos)
--   +8 next_at as unix ms (score in ob:due)
--   +9 created_at as unix ms (score in ob:all and ob:state:pending)
-- An item whose hash exists is left as it is (the ID makes enqueueing
-- idempotent). kdue, kall, kpend name {p}:ob:due, {p}:ob:all and
-- {p}:ob:state:pending.
local OB_ARGS = 10

local function ob_enqueue(kdue, kall, kpend, kfirst, abase, n, ticket)
  for i = 0, n - 1 do
    local k = KEYS[kfirst + i]
    local a = abase + i * OB_ARGS
    if redis.call('EXISTS', k) == 0 then
      local id, t = ARGV[a], ARGV[a + 1]
      if t == '' then
        t = ticket
      end
      redis.call('HSET', k, 'ticket', t, 'json', ARGV[a + 2], 'state', 'pending',
        'attempts', ARGV[a + 3], 'next_at', ARGV[a + 4], 'lease_until', '',
        'last_error', ARGV[a + 5], 'provider_ref', ARGV[a + 6],
        'updated_at', ARGV[a + 7], 'due', ARGV[a + 8], 'fin', '')
      redis.call('ZADD', kdue, ARGV[a + 8], id)
      redis.call('ZADD', kall, ARGV[a + 9], id)
      redis.call('ZADD', kpend, ARGV[a + 9], id)
    end
  end
end

