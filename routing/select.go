package routing

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Steps, as stored in Decision.Step.
const (
	stepRuleOwner = "rule_owner"
	stepSticky    = "sticky"
	stepOnCall    = "on_call"
	stepFallback  = "fallback"
)

// Decide routes one ticket: the first rule matching l (business hours read
// from Config.BusinessHours) picks team, priority and skills, then the owner
// is chosen in DESIGN §3 order: the rule's fixed owner, a sticky candidate,
// the team's eligible reps by strategy, the on-call rep after hours, and
// finally the team's fallback with Alert set. Decide reads no clock and does
// no I/O: the same arguments always give the same Decision. Owner is never
// empty for a Router built by New.
func (r *Router) Decide(l Labels, st State, now time.Time) Decision {
	d := Decision{Team: r.defaultTeam, Priority: l["priority"]}
	rule := r.match(l, now, &d)
	if d.Priority == "" {
		d.Priority = defaultPriority
	}
	s := &selector{r: r, st: st, now: now, team: r.cfg.Teams[r.teams[d.Team]], skills: d.Skills}

	var preface string // what was tried and refused before the step that won
	if rule != nil && rule.Owner != "" {
		why := s.ownerRefusal(rule.Owner)
		if rep, ok := s.r.Rep(rule.Owner); why == "" && ok && !rep.Hours.Contains(now) {
			why = "off shift"
		}
		if why == "" {
			d.Owner, d.Step = rule.Owner, stepRuleOwner
			d.Reason = oneLine(fmt.Sprintf("rule_owner: rule %s fixes owner %s", d.Rule, rule.Owner))
			return d
		}
		preface = fmt.Sprintf("fixed owner %s %s; ", rule.Owner, why)
	}
	p := s.choose()
	d.Owner, d.Step, d.Alert = p.owner, p.step, p.alert
	if d.Rule != "" {
		preface = "rule " + d.Rule + ": " + preface
	}
	d.Reason = oneLine(preface + p.step + ": " + p.text)
	return d
}

// match fills d from the first matching rule and returns that rule, or nil.
func (r *Router) match(l Labels, now time.Time, d *Decision) *Rule {
	business := r.cfg.BusinessHours.Contains(now)
	for i := range r.cfg.Rules {
		rule := &r.cfg.Rules[i]
		if !rule.Matches(l, business) {
			continue
		}
		d.Rule = ruleName(*rule, i)
		if rule.Team != "" {
			d.Team = rule.Team
		}
		if rule.SetPriority != "" {
			d.Priority = rule.SetPriority
		}
		d.Skills = slices.Clone(rule.Skills)
		return rule
	}
	return nil
}

// selector holds one decision's inputs while the owner steps run.
type selector struct {
	r      *Router
	st     State
	now    time.Time
	team   Team
	skills []string
}

// pick is the outcome of an owner step; text is the reason after "step: ".
type pick struct {
	owner, step, text string
	alert             bool
}

// choose runs steps 1-4 of DESIGN §3; the fallback always succeeds.
func (s *selector) choose() pick {
	if p, ok := s.sticky(); ok {
		return p
	}
	eligible, refused := s.partition()
	if len(eligible) > 0 {
		return s.byStrategy(eligible)
	}
	p, ok, why := s.onCall()
	if ok {
		return p
	}
	notes := summarize(refused)
	if why != "" {
		notes += "; " + why
	}
	return pick{
		owner: s.team.Fallback,
		step:  stepFallback,
		text:  fmt.Sprintf("no eligible rep in %s (%s) -> %s", s.team.ID, notes, s.team.Fallback),
		alert: true,
	}
}

// ownerRefusal says why a rule's fixed owner cannot take the ticket, or ""
// when they can: a fixed owner only needs to be available and not excluded.
func (s *selector) ownerRefusal(id string) string {
	switch {
	case !s.r.isRep(id):
		return "not a rep"
	case s.st.Exclude[id]:
		return "excluded"
	}
	return s.availability(id)
}

// availability is "" for an available rep, else their availability.
func (s *selector) availability(id string) string {
	if a := s.st.Availability[id]; a != "" && a != Available {
		return string(a)
	}
	return ""
}

// refusal says why a rep cannot take the ticket, or "" when they can. The
// order is what a manager would check first: excluded, availability,
// shift, load, skills.
func (s *selector) refusal(rep Rep, skills []string) string {
	if why := s.ownerRefusal(rep.ID); why != "" {
		return why
	}
	if !rep.Hours.Contains(s.now) {
		return "off shift"
	}
	if open := s.st.Open[rep.ID]; rep.Capacity > 0 && open >= rep.Capacity {
		return fmt.Sprintf("at capacity %d/%d", open, rep.Capacity)
	}
	for _, want := range skills {
		if !slices.ContainsFunc(rep.Skills, func(have string) bool { return strings.EqualFold(have, want) }) {
			return "missing skill " + want
		}
	}
	return ""
}

// sticky returns the first sticky candidate who can take the ticket. Team
// membership does not matter (continuity with the customer wins), but the
// skills a rule requires do: a ransomware case does not go to the account
// manager just because they know the client.
func (s *selector) sticky() (pick, bool) {
	for _, c := range s.st.Sticky {
		rep, ok := s.r.Rep(c.Rep)
		if !ok || s.refusal(rep, s.skills) != "" {
			continue
		}
		text := rep.ID
		if c.Why != "" {
			text = c.Why + " " + rep.ID
		}
		return pick{owner: rep.ID, step: stepSticky, text: text}, true
	}
	return pick{}, false
}

// partition splits the team's members into eligible reps (roster order)
// and "id why" notes for the rest.
func (s *selector) partition() (eligible []Rep, refused []string) {
	for _, id := range s.team.Members {
		rep, ok := s.r.Rep(id)
		if !ok {
			continue // New rejects this; stay total anyway
		}
		if why := s.refusal(rep, s.skills); why != "" {
			refused = append(refused, id+" "+why)
			continue
		}
		eligible = append(eligible, rep)
	}
	slices.SortStableFunc(eligible, func(a, b Rep) int { return s.r.reps[a.ID] - s.r.reps[b.ID] })
	return eligible, refused
}

// onCall returns the on-call rep after hours. When there is one but they
// are refused, why says so for the fallback reason.
func (s *selector) onCall() (p pick, ok bool, why string) {
	if s.r.BusinessHours(s.team.ID, s.now) {
		return pick{}, false, ""
	}
	id, ok := s.team.OnCall.At(s.now)
	if !ok {
		return pick{}, false, ""
	}
	// On call means reachable after hours: shift does not apply, and being
	// away is what on call is for. Off, excluded or full refuse: a buried
	// on-call rep is a reason to alert the fallback, not to pile on.
	rep, _ := s.r.Rep(id)
	switch {
	case s.st.Exclude[id]:
		return pick{}, false, "on call " + id + " excluded"
	case s.st.Availability[id] == Off:
		return pick{}, false, "on call " + id + " off"
	case rep.Capacity > 0 && s.st.Open[id] >= rep.Capacity:
		return pick{}, false, fmt.Sprintf("on call %s at capacity %d/%d", id, s.st.Open[id], rep.Capacity)
	}
	return pick{owner: id, step: stepOnCall, text: "after hours, " + id + " on call"}, true, ""
}
