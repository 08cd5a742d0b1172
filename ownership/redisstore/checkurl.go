package redisstore

import (
	"errors"
	"strings"
)

// CheckURL reports whether Open would accept rawURL's form (scheme, host,
// database, parameters, key prefix) without connecting, so a config check
// refuses what Open would. Its errors never contain the URL's userinfo.
func CheckURL(rawURL string) error {
	tg, err := parseURL(rawURL)
	if err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "redisstore: open "+redactURL(rawURL)+": "))
	}
	_, err = newKeys(tg.prefix)
	return err
}
