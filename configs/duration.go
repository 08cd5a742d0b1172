package configs

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration written in configuration as a Go duration
// string ("15m", "1h30m", "168h"). A written duration must be positive; the
// zero value means "not set" and is replaced by the documented default.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String returns the duration in time.Duration notation.
func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalYAML reads a duration string; it rejects numbers without a unit
// and durations that are not positive.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("want a duration such as \"30m\", got a %s", kindName(n))
	}
	v, err := parseDuration(n.Value)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// parseDuration is time.ParseDuration with messages written for people
// editing a config file, and no zero or negative values.
func parseDuration(s string) (time.Duration, error) {
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return 0, fmt.Errorf("duration %q has no unit: write e.g. \"%ss\", \"%sm\" or \"%sh\"", s, s, s, s)
	}
	v, err := time.ParseDuration(s)
	switch {
	case err != nil && strings.Contains(strings.ToLower(s), "d"):
		return 0, fmt.Errorf("invalid duration %q: there is no day unit, write days in hours (\"168h\" is a week)", s)
	case err != nil:
		return 0, fmt.Errorf("invalid duration %q: want e.g. \"30m\", \"2h\" or \"1h30m\"", s)
	case v <= 0:
		return 0, fmt.Errorf("duration %q must be positive", s)
	}
	return v, nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(d.String())), nil }
