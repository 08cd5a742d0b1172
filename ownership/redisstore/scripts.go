package redisstore

import (
	_ "embed"

	"github.com/redis/go-redis/v9"
)

// One Lua script per write intent. Script.Run sends EVALSHA and falls back
// to EVAL when the server does not have the script yet (NOSCRIPT).
var (
	//go:embed scripts/create.lua
	createSrc string
	//go:embed scripts/update.lua
	updateSrc string
	//go:embed scripts/outbox_lib.lua
	outboxLibSrc string
	//go:embed scripts/enqueue.lua
	enqueueSrc string
	//go:embed scripts/claim.lua
	claimSrc string
	//go:embed scripts/finish.lua
	finishSrc string
	//go:embed scripts/lease_acquire.lua
	leaseAcquireSrc string
	//go:embed scripts/lease_release.lua
	leaseReleaseSrc string
	//go:embed scripts/flag_fenced.lua
	flagFencedSrc string
	//go:embed scripts/schema.lua
	schemaSrc string
	//go:embed scripts/throttle.lua
	throttleSrc string
)

// scripts holds a store's scripts. They live in the Store, not in package
// variables, because a redis.Script caches its digest.
type scripts struct {
	create  *redis.Script
	update  *redis.Script
	enqueue *redis.Script
	claim   *redis.Script
	finish  *redis.Script

	leaseAcquire *redis.Script
	leaseRelease *redis.Script
	flagFenced   *redis.Script
	schema       *redis.Script
	throttle     *redis.Script
}

// newScripts builds the scripts; those that enqueue outbox items get the
// outbox library (ob_enqueue) prepended, as Redis scripts cannot share code.
func newScripts() scripts {
	return scripts{
		create:  redis.NewScript(outboxLibSrc + createSrc),
		update:  redis.NewScript(outboxLibSrc + updateSrc),
		enqueue: redis.NewScript(outboxLibSrc + enqueueSrc),
		claim:   redis.NewScript(claimSrc),
		finish:  redis.NewScript(finishSrc),

		leaseAcquire: redis.NewScript(leaseAcquireSrc),
		leaseRelease: redis.NewScript(leaseReleaseSrc),
		flagFenced:   redis.NewScript(flagFencedSrc),
		schema:       redis.NewScript(schemaSrc),
		throttle:     redis.NewScript(throttleSrc),
	}
}

// Script reply tags (the first element of every reply).
const (
	tagOK       = "OK"
	tagReplay   = "REPLAY"
	tagDup      = "DUP"
	tagFull     = "FULL"
	tagNotFound = "NOTFOUND"
	tagConflict = "CONFLICT"
	tagHeld     = "HELD"
)
