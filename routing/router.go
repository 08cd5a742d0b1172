package routing

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Router decides owners for new tickets from a validated Config. It is
// immutable after New and safe for concurrent use.
type Router struct {
	cfg         Config
	reps        map[string]int // rep id -> index in cfg.Reps (roster order)
	teams       map[string]int // team id -> index in cfg.Teams
	defaultTeam string
}

// New validates cfg and returns a Router over it. Every problem found is
// reported, as an errors.Join of one error per problem, each naming the rep,
// team or rule at fault. A Strategy of "" becomes LeastLoaded. New keeps cfg
// by value; callers must not mutate its slices afterwards.
func New(cfg Config) (*Router, error) {
	r := &Router{cfg: cfg, reps: map[string]int{}, teams: map[string]int{}}
	r.cfg.Teams = slices.Clone(cfg.Teams) // strategies are defaulted below
	var errs []error
	errs = append(errs, r.indexReps()...)
	errs = append(errs, r.indexTeams()...)
	for i := range r.cfg.Teams {
		errs = append(errs, r.checkTeam(&r.cfg.Teams[i])...)
	}
	errs = append(errs, r.checkRules()...)
	if len(cfg.Teams) == 0 {
		errs = append(errs, errors.New("no teams: routing needs at least one team"))
	}
	switch {
	case cfg.DefaultTeam != "":
		if _, ok := r.teams[cfg.DefaultTeam]; !ok {
			errs = append(errs, fmt.Errorf("default team %q does not exist", cfg.DefaultTeam))
		}
		r.defaultTeam = cfg.DefaultTeam
	case len(cfg.Teams) > 0:
		r.defaultTeam = cfg.Teams[0].ID
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Router) indexReps() []error {
	var errs []error
	for i, rep := range r.cfg.Reps {
		switch {
		case rep.ID == "":
			errs = append(errs, fmt.Errorf("rep #%d: empty id", i+1))
			continue
		case rep.Role != "" && rep.Role != RoleTech && rep.Role != RoleManager:
			errs = append(errs, fmt.Errorf("rep %q: unknown role %q (want %q or %q)", rep.ID, rep.Role, RoleTech, RoleManager))
		}
		if _, dup := r.reps[rep.ID]; dup {
			errs = append(errs, fmt.Errorf("rep %q: duplicate id", rep.ID))
			continue
		}
		r.reps[rep.ID] = i
	}
	return errs
}

func (r *Router) indexTeams() []error {
	var errs []error
	for i, t := range r.cfg.Teams {
		if t.ID == "" {
			errs = append(errs, fmt.Errorf("team #%d: empty id", i+1))
			continue
		}
		if _, dup := r.teams[t.ID]; dup {
			errs = append(errs, fmt.Errorf("team %q: duplicate id", t.ID))
			continue
		}
		r.teams[t.ID] = i
	}
	return errs
}

// checkTeam validates one team and defaults its strategy in place.
func (r *Router) checkTeam(t *Team) []error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("team %q: "+format, append([]any{t.ID}, args...)...))
	}
	seen := map[string]bool{}
	for _, m := range t.Members {
		if !r.isRep(m) {
			bad("member %q is not a rep", m)
		} else if seen[m] {
			bad("member %q listed twice", m)
		}
		seen[m] = true
	}
	switch {
	case t.Fallback == "":
		bad("no fallback rep (required: it owns what no one else can)")
	case !r.isRep(t.Fallback):
		bad("fallback %q is not a rep", t.Fallback)
	}
	for _, id := range t.OnCall.Rota {
		if !r.isRep(id) {
			bad("on-call rota entry %q is not a rep", id)
		}
	}
	if len(t.OnCall.Rota) > 0 && t.OnCall.Shift <= 0 {
		bad("on-call shift %v must be positive", t.OnCall.Shift)
	}
	switch t.Strategy {
	case "":
		t.Strategy = LeastLoaded
	case LeastLoaded, RoundRobin:
	default:
		bad("unknown strategy %q (want %q or %q)", t.Strategy, LeastLoaded, RoundRobin)
	}
	return errs
}

func (r *Router) checkRules() []error {
	var errs []error
	names := map[string]bool{}
	for i, rule := range r.cfg.Rules {
		name := ruleName(rule, i)
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("rule %q: "+format, append([]any{name}, args...)...))
		}
		if names[name] {
			bad("duplicate name")
		}
		names[name] = true
		if _, ok := r.teams[rule.Team]; rule.Team != "" && !ok {
			bad("team %q does not exist", rule.Team)
		}
		if rule.Owner != "" && !r.isRep(rule.Owner) {
			bad("owner %q is not a rep", rule.Owner)
		}
		if rule.Hours != "" && rule.Hours != hoursBusiness && rule.Hours != hoursAfter {
			bad("hours %q: want %q, %q or empty", rule.Hours, hoursBusiness, hoursAfter)
		}
		if slices.Contains(rule.Keywords, nil) {
			bad("nil keyword regexp")
		}
	}
	return errs
}

// ruleName is the rule's name, or "#n" (1-based position) for an unnamed
// rule, so a decision always names the rule that placed it.
func ruleName(rule Rule, i int) string {
	if rule.Name != "" {
		return rule.Name
	}
	return fmt.Sprintf("#%d", i+1)
}

func (r *Router) isRep(id string) bool {
	_, ok := r.reps[id]
	return ok
}

// Rep returns the rep with the given id.
func (r *Router) Rep(id string) (Rep, bool) {
	i, ok := r.reps[id]
	if !ok {
		return Rep{}, false
	}
	return r.cfg.Reps[i], true
}

// Reps returns a copy of the roster, in configuration order.
func (r *Router) Reps() []Rep {
	return slices.Clone(r.cfg.Reps)
}

// Team returns the team with the given id, its Strategy defaulted.
func (r *Router) Team(id string) (Team, bool) {
	i, ok := r.teams[id]
	if !ok {
		return Team{}, false
	}
	return r.cfg.Teams[i], true
}

// Teams returns a copy of the teams, in configuration order.
func (r *Router) Teams() []Team {
	return slices.Clone(r.cfg.Teams)
}

// OnShift reports whether the rep is on shift at now by the rep's own Hours.
// An unknown rep is never on shift.
func (r *Router) OnShift(repID string, now time.Time) bool {
	rep, ok := r.Rep(repID)
	return ok && rep.Hours.Contains(now)
}

// BusinessHours reports whether now is within the team's business hours, or
// within Config.BusinessHours for a team without its own Hours or an unknown
// team.
func (r *Router) BusinessHours(team string, now time.Time) bool {
	if t, ok := r.Team(team); ok && t.Hours != nil {
		return t.Hours.Contains(now)
	}
	return r.cfg.BusinessHours.Contains(now)
}
