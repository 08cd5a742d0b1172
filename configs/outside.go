package configs

import (
	"fmt"
	"os"
)

// Setting is one value given outside the config file.
type Setting struct {
	Value string
	// From names where it was given ("--addr", "INTAKE_STORE"); problems
	// with the value are reported under this name instead of a line.
	From string
}

// Overrides are the settings `intake serve` takes from outside the file:
// the command line and the environment. Load applies them over the file
// and checks them with it, so `intake check-config`, given the same ones,
// refuses exactly what serve refuses.
type Overrides struct {
	Listen Setting // replaces listen when set (--addr)
	Store  Setting // replaces store when set (--store, else INTAKE_STORE)
	// AdminToken is one more manager token (INTAKE_ADMIN_TOKEN); it is
	// checked like api.tokens and counts for the rule that only a loopback
	// address may serve without tokens.
	AdminToken Setting
}

// OverridesFromEnv returns the overrides of the process environment,
// with addr and store (the --addr and --store flags) winning when set.
func OverridesFromEnv(addr, store string) Overrides {
	var o Overrides
	if s := os.Getenv("INTAKE_STORE"); s != "" {
		o.Store = Setting{Value: s, From: "INTAKE_STORE"}
	}
	if store != "" {
		o.Store = Setting{Value: store, From: "--store"}
	}
	if addr != "" {
		o.Listen = Setting{Value: addr, From: "--addr"}
	}
	if t := os.Getenv("INTAKE_ADMIN_TOKEN"); t != "" {
		o.AdminToken = Setting{Value: t, From: "INTAKE_ADMIN_TOKEN"}
	}
	return o
}

// LoadWith is Load with the environment lookup given by the caller (nil
// means os.LookupEnv) and the overrides applied. An empty path means no
// file: Default, with the overrides.
func LoadWith(path string, getenv func(string) (string, bool), o Overrides) (*Config, error) {
	if path == "" {
		c := Default()
		c.apply(o)
		if errs := c.validate(); len(errs.errs) > 0 {
			return nil, errs.err()
		}
		return c, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return ParseWith(data, path, getenv, o)
}

// AdminToken is the INTAKE_ADMIN_TOKEN the config was loaded with, "" if
// none.
func (c *Config) AdminToken() string { return c.outside.AdminToken.Value }

// apply puts the overrides over the file's values.
func (c *Config) apply(o Overrides) {
	c.outside = o
	if o.Listen.Value != "" {
		c.Listen = o.Listen.Value
	}
	if o.Store.Value != "" {
		c.Store = o.Store.Value
	}
}

// where returns the path a problem with key is reported at: the override
// that set it, or key itself.
func (c *Config) where(key string) (path string, outside bool) {
	switch {
	case key == "listen" && c.outside.Listen.Value != "":
		return c.outside.Listen.From, true
	case key == "store" && c.outside.Store.Value != "":
		return c.outside.Store.From, true
	}
	return key, false
}
