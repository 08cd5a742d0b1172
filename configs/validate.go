package configs

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time zones validate the same on hosts without tzdata

	"golang.org/x/crypto/bcrypt"

	"github.com/intakehq/intake/ownership/redisstore"
	"github.com/intakehq/intake/routing"
)

var (
	idRE   = regexp.MustCompile(`^[a-z0-9_.-]+$`)
	e164RE = regexp.MustCompile(`^\+[1-9]\d{6,14}$`)
)

// minTokenLen is the shortest API token accepted.
const minTokenLen = 16

// Validate checks the whole configuration: formats, cross-references
// (every member, fallback, rota entry, account manager, rule team and owner
// is defined) and channel settings. It reports every problem, as an
// errors.Join of *Error sorted by line; nil means the Config is usable, and
// Routing will succeed. Values that the loader defaults ("" role,
// strategy, time zone...) are accepted as their defaults. Validate does not
// modify c.
func (c *Config) Validate() error {
	return c.validate().err()
}

// validate runs every check and returns the problems found.
func (c *Config) validate() *errorList {
	v := &validator{
		c:     c,
		list:  errorList{src: c.src},
		reps:  map[string]int{},
		teams: map[string]int{},
		orgs:  map[string]int{},
	}
	v.index()
	v.server()
	v.api()
	v.roster()
	v.orgsAndContacts()
	v.routes()
	v.ackTemplate("acks.template", c.Acks.Template)
	v.channels()
	v.dashboard()
	v.holidays()
	if len(v.list.errs) == 0 {
		v.router()
	}
	return &v.list
}

// validator holds the indexes cross-reference checks need.
type validator struct {
	c     *Config
	list  errorList
	reps  map[string]int // id -> first index
	teams map[string]int
	orgs  map[string]int
}

func (v *validator) addf(path, format string, args ...any) { v.list.addf(path, format, args...) }

func (v *validator) dashboard() {
	seen := map[string]bool{}
	for i, u := range v.c.Dashboard.Users {
		p := fmt.Sprintf("dashboard.users[%d]", i)
		if u.Name == "" {
			v.addf(p+".name", "required")
		} else if seen[u.Name] {
			v.addf(p+".name", "%q appears twice", u.Name)
		}
		seen[u.Name] = true
		if h := u.PasswordHash.Value(); !strings.HasPrefix(h, "$2a$") && !strings.HasPrefix(h, "$2b$") && !strings.HasPrefix(h, "$2y$") {
			v.addf(p+".password_hash", "want a bcrypt hash ($2b$…, e.g. from htpasswd -nbB name password), never the password itself")
		} else if _, err := bcrypt.Cost([]byte(h)); err != nil {
			// A cut-off hash would refuse every password at sign-in.
			v.addf(p+".password_hash", "not a whole bcrypt hash (cut off when copied?): %v", err)
		}
		if _, ok := v.reps[u.Rep]; !ok {
			v.addf(p+".rep", "rep %q is not in reps", u.Rep)
		}
	}
}

// index records ids, and reports bad and repeated ones.
func (v *validator) index() {
	for i, r := range v.c.Reps {
		v.id(fmt.Sprintf("reps[%d]", i), r.ID, "rep", v.reps, i)
	}
	for i, t := range v.c.Teams {
		v.id(fmt.Sprintf("teams[%d]", i), t.ID, "team", v.teams, i)
	}
	for i, o := range v.c.Orgs {
		v.id(fmt.Sprintf("orgs[%d]", i), o.ID, "org", v.orgs, i)
	}
}

func (v *validator) id(path, id, what string, seen map[string]int, i int) {
	switch first, dup := seen[id]; {
	case id == "":
		v.addf(path+".id", "required")
	case !idRE.MatchString(id):
		v.addf(path+".id", "%q: want lower-case letters, digits, '_', '.' and '-'", id)
	case dup:
		v.addf(path+".id", "duplicate %s id %q (also %ss[%d])", what, id, what, first)
	default:
		seen[id] = i
	}
}

// rep reports a reference to a rep that is not defined.
func (v *validator) rep(path, id string) {
	if _, ok := v.reps[id]; !ok && id != "" {
		v.addf(path, "rep %q is not in reps", id)
	}
}

func (v *validator) server() {
	c := v.c
	if err := checkHostPort(c.Listen); err != nil {
		v.at("listen", err)
	} else if host, _, _ := net.SplitHostPort(c.Listen); !isLoopback(host) && len(c.API.Tokens) == 0 && c.outside.AdminToken.Value == "" {
		// DESIGN §5: with no tokens the API and dashboard are open, so
		// only a loopback address may serve them.
		v.at("listen", fmt.Errorf("%q is not a loopback address and no api.tokens are configured: the API and dashboard would be open to the network; "+
			"add api.tokens, set INTAKE_ADMIN_TOKEN, or listen on 127.0.0.1", c.Listen))
	}
	if c.PublicURL != "" {
		if err := checkURL(c.PublicURL); err != nil {
			v.addf("public_url", "%w", err)
		}
	}
	if err := checkStore(c.Store); err != nil {
		v.at("store", err)
	}
	if t := c.outside.AdminToken; t.Value != "" {
		if len(t.Value) < minTokenLen {
			v.list.errs = append(v.list.errs, &Error{Path: t.From, Err: fmt.Errorf("is %d characters; use at least %d (e.g. openssl rand -hex 24)", len(t.Value), minTokenLen)})
		}
		for i, tok := range c.API.Tokens {
			if tok.Token.Value() == t.Value {
				v.list.errs = append(v.list.errs, &Error{Path: t.From, Err: fmt.Errorf("same token as api.tokens[%d]", i)})
			}
		}
	}
}

// at records a problem with key, or with the override that set it (which
// has no line in the file).
func (v *validator) at(key string, err error) {
	if path, outside := v.c.where(key); outside {
		v.list.errs = append(v.list.errs, &Error{Path: path, Err: err})
		return
	}
	v.list.add(key, err)
}

func (v *validator) api() {
	switch s := v.c.API.TechScope; s {
	case "", "own", "team", "all": // ownership.TechScopes; "" is team
	default:
		v.addf("api.tech_scope", "%s", want(s, "own", "team", "all"))
	}
	names := map[string]int{}
	values := map[Secret]int{}
	for i, t := range v.c.API.Tokens {
		p := fmt.Sprintf("api.tokens[%d]", i)
		if first, dup := names[t.Name]; dup {
			v.addf(p+".name", "duplicate token name %q (also api.tokens[%d])", t.Name, first)
		} else if t.Name == "" {
			v.addf(p+".name", "required")
		}
		names[t.Name] = i
		switch first, dup := values[t.Token]; {
		case t.Token == "":
			v.addf(p+".token", "required")
		case len(t.Token) < minTokenLen:
			v.addf(p+".token", "too short: a token needs at least %d characters", minTokenLen)
		case dup:
			v.addf(p+".token", "same token as api.tokens[%d]", first)
		default:
			values[t.Token] = i
		}
		if t.Role != routing.RoleManager && t.Role != routing.RoleTech {
			v.addf(p+".role", "%s", want(string(t.Role), routing.RoleManager, routing.RoleTech))
		}
		v.rep(p+".rep", t.Rep)
	}
}

func (v *validator) roster() {
	for i, r := range v.c.Reps {
		v.repFields(i, r)
	}
	if len(v.c.Teams) == 0 {
		v.addf("teams", "at least one team is required")
	}
	for i, t := range v.c.Teams {
		v.team(i, t)
	}
}

func (v *validator) repFields(i int, r Rep) {
	p := fmt.Sprintf("reps[%d]", i)
	if r.Name == "" {
		v.addf(p+".name", "required")
	}
	if r.Email != "" {
		if err := checkEmail(r.Email); err != nil {
			v.addf(p+".email", "%w", err)
		}
	}
	if r.Phone != "" && !e164RE.MatchString(r.Phone) {
		v.addf(p+".phone", "%s", badPhone(r.Phone))
	}
	if r.Role != "" && r.Role != routing.RoleTech && r.Role != routing.RoleManager {
		v.addf(p+".role", "%s", want(string(r.Role), routing.RoleTech, routing.RoleManager))
	}
	if r.Capacity < 0 || (r.Capacity == 0 && v.c.src.has(p+".capacity")) {
		v.addf(p+".capacity", "must be a positive number of open tickets (leave it out for %d)", DefaultCapacity)
	}
	v.timezone(p+".timezone", r.Timezone)
	v.shifts(p+".hours", r.Hours)
	switch r.Availability {
	case "", routing.Available, routing.Away, routing.Off:
	default:
		v.addf(p+".availability", "%s", want(string(r.Availability), routing.Available, routing.Away, routing.Off))
	}
	for j, s := range r.Skills {
		if strings.TrimSpace(s) == "" {
			v.addf(fmt.Sprintf("%s.skills[%d]", p, j), "empty skill")
		}
	}
}

func (v *validator) team(i int, t Team) {
	p := fmt.Sprintf("teams[%d]", i)
	members := map[string]bool{}
	for j, m := range t.Members {
		mp := fmt.Sprintf("%s.members[%d]", p, j)
		if members[m] {
			v.addf(mp, "rep %q listed twice", m)
		}
		members[m] = true
		v.rep(mp, m)
	}
	switch t.Strategy {
	case "", routing.LeastLoaded, routing.RoundRobin:
	default:
		v.addf(p+".strategy", "%s", want(string(t.Strategy), routing.LeastLoaded, routing.RoundRobin))
	}
	v.fallback(p+".fallback", t.Fallback, members)
	if t.Hours != nil {
		v.hours(p+".hours", *t.Hours)
	}
	if oc := t.OnCall; oc != nil {
		if len(oc.Rota) == 0 {
			v.addf(p+".on_call.rota", "at least one rep is required when on_call is set")
		}
		for j, id := range oc.Rota {
			v.rep(fmt.Sprintf("%s.on_call.rota[%d]", p, j), id)
		}
		if oc.Start.IsZero() {
			v.addf(p+".on_call.start", "required: when the rota starts, e.g. 2026-01-05T18:00:00-05:00")
		}
	}
}

// fallback checks a team's fallback: required, a rep, and either a member
// of the team or a manager.
func (v *validator) fallback(path, id string, members map[string]bool) {
	i, ok := v.reps[id]
	switch {
	case id == "":
		v.addf(path, "required: the rep (usually a manager) who owns what no one else can take")
	case !ok:
		v.rep(path, id)
	case !members[id] && v.c.Reps[i].Role != routing.RoleManager:
		v.addf(path, "rep %q is neither a member of the team nor a manager", id)
	}
}

// hours checks a time zone and its shifts.
func (v *validator) hours(path string, h Hours) {
	v.timezone(path+".timezone", h.Timezone)
	v.shifts(path+".shifts", h.Shifts)
}

func (v *validator) timezone(path, tz string) {
	if tz == "" {
		return
	}
	if _, err := time.LoadLocation(tz); err != nil {
		v.addf(path, "unknown time zone %q: want an IANA name such as America/New_York or Europe/London", tz)
	}
}

func (v *validator) shifts(path string, shifts []string) {
	for i, s := range shifts {
		if _, err := routing.ParseShift(s); err != nil {
			v.addf(fmt.Sprintf("%s[%d]", path, i), "%w", err)
		}
	}
}

// router runs routing's own checks on the converted configuration; after
// the checks above they should never fail.
func (v *validator) router() {
	rc, err := v.c.Routing()
	if err == nil {
		_, err = routing.New(rc)
	}
	if err != nil {
		v.addf("", "routing: %w", err)
	}
}

// checkHostPort accepts "host:port" and ":port" with a numeric port.
func checkHostPort(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q: want host:port, e.g. 127.0.0.1:8080", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q: port %q is not a number from 0 to 65535", addr, port)
	}
	return nil
}

// checkURL accepts absolute http and https URLs.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %w", s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q: want an absolute http:// or https:// URL", s)
	}
	return nil
}

// checkStore accepts "", "sqlite:PATH" and redis:// or rediss:// URLs.
func checkStore(s string) error {
	const hint = `want "sqlite:PATH" (e.g. sqlite:data/intake.db) or "redis://HOST:PORT/DB"`
	scheme, rest, ok := strings.Cut(s, ":")
	switch {
	case s == "":
		return nil
	case !ok:
		return fmt.Errorf("no store type: %s", hint) // do not echo: it may hold a password
	case scheme == "sqlite":
		if rest == "" || strings.HasPrefix(rest, "//") {
			return fmt.Errorf("%q: want sqlite:PATH, e.g. sqlite:data/intake.db or sqlite:/var/lib/intake/intake.db", s)
		}
		return nil
	case scheme == "redis" || scheme == "rediss":
		// The store's own parser, so what it would refuse at open is
		// refused here; its errors never show the password.
		if err := redisstore.CheckURL(s); err != nil {
			return fmt.Errorf("%w (want redis://[USER:PASSWORD@]HOST:PORT[/DB][?prefix=NAME])", err)
		}
		if u, err := url.Parse(s); err != nil || u.Host == "" {
			return fmt.Errorf("redis store: want redis://[USER:PASSWORD@]HOST:PORT[/DB]")
		}
		return nil
	}
	return fmt.Errorf("unknown store type %q: %s", scheme, hint)
}

// checkEmail wants exactly one @ with something on both sides.
func checkEmail(s string) error {
	local, domain, _ := strings.Cut(s, "@")
	if strings.Count(s, "@") != 1 || local == "" || domain == "" || strings.ContainsAny(s, " \t<>") {
		return fmt.Errorf("%q is not an email address", s)
	}
	return nil
}

func badPhone(s string) string {
	return fmt.Sprintf("%q is not an E.164 phone number (want + and country code, digits only, e.g. +15551230001)", s)
}

// want says that got is not one of the allowed values.
func want[T ~string](got string, allowed ...T) string {
	q := make([]string, len(allowed))
	for i, a := range allowed {
		q[i] = strconv.Quote(string(a))
	}
	if got == "" {
		return "required: one of " + strings.Join(q, ", ")
	}
	return fmt.Sprintf("%q: want one of %s", got, strings.Join(q, ", "))
}

// holidays checks sla.holidays are real dates.
func (v *validator) holidays() {
	for i, d := range v.c.SLA.Holidays {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			v.addf(fmt.Sprintf("sla.holidays[%d]", i), "%q is not a date like 2026-12-25", d)
		}
	}
}
