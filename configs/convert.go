package configs

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/intakehq/intake/routing"
)

// Routing converts the roster, teams and routing section into the
// routing package's Config: reps with their hours in their own time zone,
// teams with hours and on-call rota, rules with compiled keyword regexps,
// the business hours and the default team. It fails only on a Config that
// Validate rejects.
func (c *Config) Routing() (routing.Config, error) {
	var rc routing.Config
	var errs []error
	for _, r := range c.Reps {
		h, err := buildHours(r.Timezone, r.Hours)
		if err != nil {
			errs = append(errs, fmt.Errorf("rep %q: %w", r.ID, err))
		}
		role := r.Role
		if role == "" {
			role = routing.RoleTech
		}
		rc.Reps = append(rc.Reps, routing.Rep{
			ID:       r.ID,
			Name:     r.Name,
			Role:     role,
			Skills:   slices.Clone(r.Skills),
			Capacity: r.Capacity,
			Hours:    h,
		})
	}
	for _, t := range c.Teams {
		rt, err := buildTeam(t)
		if err != nil {
			errs = append(errs, fmt.Errorf("team %q: %w", t.ID, err))
		}
		rc.Teams = append(rc.Teams, rt)
	}
	for i, r := range c.Routes.Rules {
		rr, err := buildRule(r)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.Routes.rulePath(i), err))
		}
		rc.Rules = append(rc.Rules, rr)
	}
	if bh := c.Routes.BusinessHours; bh != nil {
		h, err := buildHours(bh.Timezone, bh.Shifts)
		if err != nil {
			errs = append(errs, fmt.Errorf("business hours: %w", err))
		}
		rc.BusinessHours = h
	}
	rc.DefaultTeam = c.Routes.DefaultTeam
	return rc, errors.Join(errs...)
}

// buildHours loads the zone ("" is UTC) and parses the shifts.
func buildHours(tz string, shifts []string) (routing.Hours, error) {
	if tz == "" {
		tz = defaultTimezone
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return routing.Hours{}, fmt.Errorf("time zone %q: %w", tz, err)
	}
	h := routing.Hours{Location: loc}
	for _, s := range shifts {
		sh, err := routing.ParseShift(s)
		if err != nil {
			return routing.Hours{}, err
		}
		h.Shifts = append(h.Shifts, sh)
	}
	return h, nil
}

func buildTeam(t Team) (routing.Team, error) {
	rt := routing.Team{
		ID:       t.ID,
		Name:     t.Name,
		Members:  slices.Clone(t.Members),
		Strategy: t.Strategy,
		Fallback: t.Fallback,
	}
	if rt.Strategy == "" {
		rt.Strategy = routing.LeastLoaded
	}
	if t.OnCall != nil {
		rt.OnCall = routing.OnCall{Rota: slices.Clone(t.OnCall.Rota), Start: t.OnCall.Start, Shift: t.OnCall.Shift.D()}
		if rt.OnCall.Shift == 0 {
			rt.OnCall.Shift = defaultOnCallShift
		}
	}
	if t.Hours != nil {
		h, err := buildHours(t.Hours.Timezone, t.Hours.Shifts)
		if err != nil {
			return rt, err
		}
		rt.Hours = &h
	}
	return rt, nil
}

func buildRule(r Rule) (routing.Rule, error) {
	rr := routing.Rule{
		Name:        r.Name,
		Channels:    slices.Clone(r.Match.Channel),
		Orgs:        slices.Clone(r.Match.Org),
		Plans:       slices.Clone(r.Match.Plan),
		Priorities:  slices.Clone(r.Match.Priority),
		Hours:       r.Match.Hours,
		SetPriority: r.Set.Priority,
		Team:        r.Set.Team,
		Skills:      slices.Clone(r.Set.Skills),
		Owner:       r.Set.Owner,
	}
	for _, ct := range r.Match.Contact {
		if strings.Contains(ct, "@") {
			ct = strings.ToLower(ct)
		}
		rr.Contacts = append(rr.Contacts, ct)
	}
	for _, k := range r.Match.Keywords {
		re, err := regexp.Compile(k)
		if err != nil {
			return rr, fmt.Errorf("keyword %q: %w", k, err)
		}
		rr.Keywords = append(rr.Keywords, re)
	}
	return rr, nil
}
