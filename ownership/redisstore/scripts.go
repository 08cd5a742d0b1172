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
)

// scripts holds a store's scripts. They live in the Store, not in package
// variables, because a redis.Script caches its digest.
type scripts struct {
	create *redis.Script
	update *redis.Script
}

func newScripts() scripts {
	return scripts{create: redis.NewScript(createSrc), update: redis.NewScript(updateSrc)}
}

// Script reply tags (the first element of every reply).
const (
	tagOK       = "OK"
	tagReplay   = "REPLAY"
	tagDup      = "DUP"
	tagFull     = "FULL"
	tagNotFound = "NOTFOUND"
	tagConflict = "CONFLICT"
)
