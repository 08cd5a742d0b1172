-- enqueue: store outbox items not stored yet (see outbox_lib). Safe to run
-- again: items are keyed by their IDs.
--
-- KEYS[1] {p}:ob:due  KEYS[2] {p}:ob:all  KEYS[3] {p}:ob:state:pending
-- KEYS[4..] {p}:ob:item:<id> of each item
-- ARGV: OB_ARGS per item (see outbox_lib)
--
-- Reply: {'OK'}.
ob_enqueue(KEYS[1], KEYS[2], KEYS[3], 4, 1, #KEYS - 3, '')
return {'OK'}
