package configs

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/intakehq/intake/routing"
)

// testEnv is the environment the tests load files with.
var testEnv = map[string]string{
	"INTAKE_TEST_TOKEN":        "tok-0123456789abcdef",
	"INTAKE_TEST_TWILIO_SID":   "AC0123456789abcdef0123456789abcdef",
	"INTAKE_TEST_TWILIO_TOKEN": "f00dfeedf00dfeedf00dfeedf00dfeed", // Twilio's tokens are plain hex
	"INTAKE_TEST_PASSWORD":     `imap"pa'$$word\`,
	"INTAKE_TEST_SLACK_BOT":    "xoxb-bot-secret-value",
}

func lookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
}

// TestGoodConfigs loads every shipped config and every testdata/good-*.yaml:
// each validates and converts into a routing.Router.
func TestGoodConfigs(t *testing.T) {
	files, err := filepath.Glob("*.yaml")
	require.NoError(t, err)
	require.Contains(t, files, "intake.example.yaml")
	good, err := filepath.Glob("testdata/good-*.yaml")
	require.NoError(t, err)
	for _, file := range append(files, good...) {
		t.Run(file, func(t *testing.T) {
			c, err := LoadFile(file, lookup(testEnv))
			require.NoError(t, err)
			require.NoError(t, c.Validate())
			rc, err := c.Routing()
			require.NoError(t, err)
			_, err = routing.New(rc)
			require.NoError(t, err)
		})
	}
}

// TestExampleNeedsNoEnvironment: the README quick start runs the example on
// a machine with no variables set.
func TestExampleNeedsNoEnvironment(t *testing.T) {
	c, err := LoadFile("intake.example.yaml", lookup(nil))
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:8080", c.Listen)
	require.Equal(t, "sqlite:data/intake.db", c.Store)
	require.Empty(t, c.API.Tokens)
	require.Nil(t, c.Channels.Twilio)
	require.Nil(t, c.Channels.Email)
	require.Nil(t, c.Channels.Slack)
	require.Len(t, c.Reps, 5)
	require.Len(t, c.Teams, 2)
	require.Len(t, c.Orgs, 3)
}

// TestBadConfigs: every testdata/bad-*.yaml fails with exactly the listed
// errors, each line-precise.
func TestBadConfigs(t *testing.T) {
	tests := map[string][]string{
		"bad-acks.yaml": {
			`bad-acks.yaml:5: acks.template: must mention {{ticket}}, so the customer learns their ticket number`,
			`bad-acks.yaml:11: channels.twilio.ack_template: must mention {{ticket}}, so the customer learns their ticket number`,
		},
		"bad-capacity.yaml": {
			`bad-capacity.yaml:2: reps[0].capacity: must be a positive number of open tickets (leave it out for 10)`,
		},
		"bad-duplicate-key.yaml": {
			`bad-duplicate-key.yaml:3: listen: key written twice (first at line 1)`,
		},
		"bad-duplicate-rep.yaml": {
			`bad-duplicate-rep.yaml:4: reps[2].id: duplicate rep id "maria" (also reps[0])`,
		},
		"bad-duration.yaml": {
			`bad-duration.yaml:3: sla.ack.urgent: duration "15" has no unit: write e.g. "15s", "15m" or "15h"`,
			`bad-duration.yaml:4: sla.ack.high: duration "0s" must be positive`,
			`bad-duration.yaml:5: sla.transfer_offer: invalid duration "2d": there is no day unit, write days in hours ("168h" is a week)`,
		},
		"bad-fallback.yaml": {
			`bad-fallback.yaml:6: teams[0].fallback: rep "tom" is neither a member of the team nor a manager`,
		},
		"bad-kind.yaml": {
			`bad-kind.yaml:5: reps[0].capacity: want a whole number, got "lots"`,
			`bad-kind.yaml:6: reps[0].skills: want a list, got "network" (write [network] for a list of one)`,
		},
		"bad-many.yaml": {
			`bad-many.yaml:2: listen: "127.0.0.1:99999": port "99999" is not a number from 0 to 65535`,
			`bad-many.yaml:4: reps[0].id: "Maria": want lower-case letters, digits, '_', '.' and '-'`,
			`bad-many.yaml:6: reps[0].role: "boss": want one of "tech", "manager"`,
			`bad-many.yaml:9: teams[0].members[0]: rep "Maria" is not in reps`,
			`bad-many.yaml:9: teams[0].members[1]: rep "lee" is not in reps`,
			`bad-many.yaml:10: teams[0].strategy: "fastest": want one of "least_loaded", "round_robin"`,
			`bad-many.yaml:11: teams[0].fallback: rep "Maria" is not in reps`,
		},
		"bad-missing-fallback.yaml": {
			`bad-missing-fallback.yaml:4: teams[0].fallback: required: the rep (usually a manager) who owns what no one else can take`,
		},
		"bad-oncall.yaml": {
			`bad-oncall.yaml:7: teams[0].on_call.rota[1]: rep "ghost" is not in reps`,
			`bad-oncall.yaml:7: teams[0].on_call.start: required: when the rota starts, e.g. 2026-01-05T18:00:00-05:00`,
		},
		"bad-orgs.yaml": {
			`bad-orgs.yaml:6: orgs[0].account_manager: rep "dana" is not in reps`,
			`bad-orgs.yaml:7: orgs[1].id: "Bluebird": want lower-case letters, digits, '_', '.' and '-'`,
			`bad-orgs.yaml:7: orgs[1].domains[0]: domain "acme.example" is also at orgs[0].domains[0]`,
			`bad-orgs.yaml:7: orgs[1].plan: "gold": want one of "managed", "break_fix", "prepaid"`,
			`bad-orgs.yaml:9: contacts[0].org: org "cedar" is not in orgs`,
		},
		"bad-phone.yaml": {
			`bad-phone.yaml:5: reps[0].phone: "555-123-4567" is not an E.164 phone number (want + and country code, digits only, e.g. +15551230001)`,
		},
		"bad-regexp.yaml": {
			"bad-regexp.yaml:9: routing.rules[0].match.keywords[1]: bad regular expression: error parsing regexp: missing closing ): `(outage`",
		},
		"bad-routing-list.yaml": {
			`bad-routing-list.yaml:10: routing[1].match.channel[0]: "fax": want one of "sms", "voice", "email", "slack", "web", "api"`,
			`bad-routing-list.yaml:11: routing[1].set.team: team "infra" is not in teams`,
		},
		"bad-shift.yaml": {
			`bad-shift.yaml:7: reps[0].hours[1]: shift "mon-fry 08:00-17:00": unknown day "fry"`,
		},
		"bad-short-token.yaml": {
			`bad-short-token.yaml:4: api.tokens[0].token: too short: a token needs at least 16 characters`,
		},
		"bad-slack.yaml": {
			`bad-slack.yaml:2: channels.slack.signing_secret: required`,
			`bad-slack.yaml:5: channels.slack.reply_mode: "always": want one of "explicit", "thread"`,
		},
		"bad-store.yaml": {
			`bad-store.yaml:1: listen: "localhost": want host:port, e.g. 127.0.0.1:8080`,
			`bad-store.yaml:2: store: unknown store type "postgres"`,
			`bad-store.yaml:3: public_url: "intake.example.com": want an absolute http:// or https:// URL`,
		},
		"bad-syntax.yaml": {
			`bad-syntax.yaml:4: YAML syntax error: found a tab character that violates indentation`,
		},
		"bad-team-reference.yaml": {
			`bad-team-reference.yaml:12: teams[1].members[1]: rep "dan" is not in reps`,
			`bad-team-reference.yaml:13: teams[1].fallback: rep "bob" is not in reps`,
		},
		"bad-holiday.yaml": {
			`bad-holiday.yaml:6: sla.holidays[1]: "2026-13-01" is not a date like 2026-12-25`,
		},
		"bad-timezone.yaml": {
			`bad-timezone.yaml:5: reps[0].timezone: unknown time zone "America/Springfield"`,
		},
		"bad-slack-channels.yaml": {
			`bad-slack-channels.yaml:6: channels.slack.customer_channels[0]: "C0TRIAGE" is the triage channel; customers must not write where reps talk`,
			`bad-slack-channels.yaml:6: channels.slack.customer_channels[1]: "#acme": want a channel id such as C0456ACME`,
		},
		"bad-dashboard.yaml": {
			`bad-dashboard.yaml:7: dashboard.users[0].password_hash: want a bcrypt hash ($2b$…, e.g. from htpasswd -nbB name password), never the password itself`,
			`bad-dashboard.yaml:8: dashboard.users[1].name: "maria" appears twice`,
			`bad-dashboard.yaml:8: dashboard.users[1].rep: rep "ghost" is not in reps`,
		},
		"bad-email-folders.yaml": {
			`bad-email-folders.yaml:9: channels.email.imap.processed: "inbox" is the mailbox read; name another folder or leave it out`,
			`bad-email-folders.yaml:10: channels.email.imap.poll_interval: 100ms: want between 1s and 1h`,
		},
		"bad-tls-none.yaml": {
			`bad-tls-none.yaml:5: channels.email.imap.tls: "none" would send the password in clear text; it is allowed only for a loopback addr, not "mail.northwind.example"`,
		},
		"bad-twilio.yaml": {
			`bad-twilio.yaml:2: public_url: required with channels.twilio: Twilio signs its webhooks over the public URL it calls`,
			`bad-twilio.yaml:3: channels.twilio.account_sid: must be an account SID: "AC" followed by letters and digits`,
			`bad-twilio.yaml:4: channels.twilio.auth_token: required`,
			`bad-twilio.yaml:5: channels.twilio.number: "5557771000" is not an E.164 phone number`,
			`bad-twilio.yaml:6: channels.twilio.api_url: must be an absolute http(s) URL, got "/twilio"`,
		},
		"bad-two-documents.yaml": {
			`bad-two-documents.yaml:2: a second YAML document: a config file holds one`,
		},
		"bad-unknown-key.yaml": {
			`bad-unknown-key.yaml:9: teams[0].fallbak: unknown key (did you mean "fallback"?)`,
		},
		"bad-tech-scope.yaml": {
			`bad-tech-scope.yaml:2: api.tech_scope: "everyone": want one of "own", "team", "all"`,
		},
		"bad-twilio-token.yaml": {
			`bad-twilio-token.yaml:7: channels.twilio.auth_token: must contain only letters and digits (a Twilio auth token is 32 hex digits)`,
		},
		"bad-slack-token.yaml": {
			`bad-slack-token.yaml:5: channels.slack.bot_token: a user token (xoxp-…), not a bot token: want the app's Bot User OAuth Token (xoxb-…)`,
			`bad-slack-token.yaml:7: channels.slack.app_token: a bot token (xoxb-…), not an app-level token: want one with connections:write (xapp-…)`,
		},
		"bad-email-tls.yaml": {
			`bad-email-tls.yaml:5: channels.email.imap.tls: "ssl": want one of "implicit", "starttls", "none"`,
			`bad-email-tls.yaml:10: channels.email.smtp.tls: "none" would send the password in clear text; it is allowed only for a loopback addr, not "mail.northwind.example"`,
		},
		"bad-unknown-and-more.yaml": {
			`bad-unknown-and-more.yaml:6: reps[0].colour: unknown key (known keys: id, name, email,`,
			`bad-unknown-and-more.yaml:10: teams[0].fallback: rep "bob" is not in reps`,
		},
		"bad-nul.yaml": {
			`bad-nul.yaml:3: column 16 (byte offset 35): a NUL byte: this is not a text file`,
		},
		"bad-latin1.yaml": {
			`bad-latin1.yaml:4: column 14 (byte offset 69): byte 0xE9 is not UTF-8 (a Latin-1 or Windows-1252 file? save it as UTF-8)`,
			`bad-latin1.yaml:4: column 20 (byte offset 75): byte 0xED is not UTF-8`,
		},
		"bad-open-listen.yaml": {
			`bad-open-listen.yaml:2: listen: "0.0.0.0:8080" is not a loopback address and no api.tokens are configured: the API and dashboard would be open to the network`,
		},
		"bad-redis-url.yaml": {
			`bad-redis-url.yaml:1: store: parse url: redis: unexpected option: bogus`,
		},
		"bad-dashboard-hash.yaml": {
			`bad-dashboard-hash.yaml:8: dashboard.users[0].password_hash: not a whole bcrypt hash (cut off when copied?)`,
		},
		"bad-unset-env.yaml": {
			`bad-unset-env.yaml:4: api.tokens[0].token: environment variable INTAKE_TEST_NOT_SET is not set`,
		},
	}

	files, err := filepath.Glob("testdata/bad-*.yaml")
	require.NoError(t, err)
	for _, f := range files {
		require.Contains(t, tests, filepath.Base(f), "testdata file without an expectation in this table")
	}
	for file, want := range tests {
		t.Run(file, func(t *testing.T) {
			_, err := LoadFile(filepath.Join("testdata", file), lookup(testEnv))
			require.Error(t, err)
			lines := strings.Split(err.Error(), "\n")
			require.Len(t, lines, len(want), "errors:\n%v", err)
			for i, w := range want {
				require.Contains(t, lines[i], w, "error %d of:\n%v", i, err)
				require.True(t, strings.HasPrefix(lines[i], "testdata/"+w), "LoadFile(%s) line %d = %q, want prefix %q", file, i, lines[i], w)
			}
			var ce *Error
			require.True(t, errors.As(err, &ce), "errors are *configs.Error")
			require.Positive(t, ce.Line)
		})
	}
}

// TestEnvExpansion: ${VAR} is replaced after parsing, so quotes and
// backslashes in values arrive intact; $${ is a literal ${.
func TestEnvExpansion(t *testing.T) {
	env := map[string]string{
		"TOK":  `a"b'c\d ${NOT_EXPANDED} e: f #g`,
		"CAP":  "7",
		"NULL": "null",
		"TZ":   "Europe/London",
	}
	doc := `
api:
  tokens:
    - name: plain
      token: ${TOK}
      role: manager
    - {name: quoted, token: "pre-${TOK}", role: tech}
    - {name: literal, token: 'lit-$${TOK}-and-$$-kept', role: tech}
    - {name: nullish, token: "${NULL}-0123456789abcdef", role: tech}
reps:
  - id: maria
    name: ${NULL}
    role: manager
    capacity: ${CAP}
    timezone: ${TZ}
teams:
  - {id: helpdesk, members: [maria], fallback: maria}
`
	c, err := Parse([]byte(doc), "env.yaml", lookup(env))
	require.NoError(t, err)
	require.Equal(t, env["TOK"], c.API.Tokens[0].Token.Value())
	require.Equal(t, "pre-"+env["TOK"], c.API.Tokens[1].Token.Value())
	require.Equal(t, "lit-${TOK}-and-$$-kept", c.API.Tokens[2].Token.Value())
	require.Equal(t, "null-0123456789abcdef", c.API.Tokens[3].Token.Value())
	require.Equal(t, "null", c.Reps[0].Name, "an expanded value stays a string")
	require.Equal(t, 7, c.Reps[0].Capacity, "a plain ${VAR} may be a number")
	require.Equal(t, "Europe/London", c.Reps[0].Timezone)

	for _, tc := range []struct{ value, want string }{
		{`${}`, `env.yaml:1: listen: bad ${...} reference`},
		{`${A`, `env.yaml:1: listen: unterminated ${`},
		{`${1A}`, `env.yaml:1: listen: bad ${...} reference`},
		{`x-${MISSING}-${TOK}`, `env.yaml:1: listen: environment variable MISSING is not set`},
	} {
		_, err := Parse([]byte("listen: '"+tc.value+"'\n"), "env.yaml", lookup(env))
		require.ErrorContains(t, err, tc.want, "Parse(listen: %s)", tc.value)
	}
}

// TestSecretsHidden: no formatting or marshalling of a Config shows a
// secret, and errors never quote one.
func TestSecretsHidden(t *testing.T) {
	c, err := LoadFile("testdata/good-env.yaml", lookup(testEnv))
	require.NoError(t, err)
	secrets := []string{
		testEnv["INTAKE_TEST_TOKEN"], testEnv["INTAKE_TEST_TWILIO_TOKEN"],
		testEnv["INTAKE_TEST_PASSWORD"], testEnv["INTAKE_TEST_SLACK_BOT"], "lit${NOT_A_VAR}",
	}
	require.Equal(t, testEnv["INTAKE_TEST_TWILIO_TOKEN"], c.Channels.Twilio.AuthToken.Value())
	require.Equal(t, "lit${NOT_A_VAR}", c.Channels.Slack.SigningSecret.Value())

	y, err := yaml.Marshal(c)
	require.NoError(t, err)
	j, err := json.Marshal(c)
	require.NoError(t, err)
	outputs := map[string]string{
		"fmt config": fmt.Sprintf("%v %+v %s %#v %+v", c, c, c, *c, *c),
		"fmt sections": fmt.Sprintf("%v %+v %#v %s %q %x %v %+v %v", *c.Channels.Twilio, *c.Channels.Email, *c.Channels.Slack,
			c.Channels.Slack.BotToken, c.Channels.Slack.BotToken, c.Channels.Slack.BotToken, c.API.Tokens, c.API, c.Channels.Email.IMAP.Password),
		"yaml": string(y),
		"json": strings.NewReplacer(`\u003c`, "<", `\u003e`, ">").Replace(string(j)),
	}
	for name, out := range outputs {
		require.Contains(t, out, "<secret>", name)
		for _, s := range secrets {
			require.NotContains(t, out, s, "%s leaks a secret", name)
		}
	}
	require.Contains(t, string(y), "auth_token: <secret>")
	require.Contains(t, string(j), `"token":"\u003csecret\u003e"`)
	require.Equal(t, "", Secret("").String(), "an empty secret shows as empty")

	_, err = Parse([]byte("api: {tokens: [{name: a, token: hunter2-secret, role: manager}, {name: b, token: hunter2-secret, role: admin}]}"), "s.yaml", lookup(nil))
	require.Error(t, err)
	require.NotContains(t, err.Error(), "hunter2")
}

// TestDefault: the no-config setup validates and routes to the admin.
func TestDefault(t *testing.T) {
	c := Default()
	require.NoError(t, c.Validate())
	require.Equal(t, DefaultListen, c.Listen)
	require.Equal(t, DefaultStore, c.Store)
	require.Empty(t, c.API.Tokens)
	require.Len(t, c.Reps, 1)
	admin := c.Reps[0]
	require.Equal(t, "admin", admin.ID)
	require.Equal(t, "Local Admin", admin.Name)
	require.Equal(t, routing.RoleManager, admin.Role)
	require.Zero(t, admin.Capacity, "the local admin has no capacity limit")
	require.Equal(t, []Team{{ID: "default", Name: "Default", Members: []string{"admin"}, Strategy: routing.LeastLoaded, Fallback: "admin"}}, c.Teams)

	rc, err := c.Routing()
	require.NoError(t, err)
	r, err := routing.New(rc)
	require.NoError(t, err)
	_, ok := r.Team("default")
	require.True(t, ok)

	empty, err := Parse(nil, "empty.yaml", lookup(nil))
	require.NoError(t, err)
	require.Equal(t, c.Reps, empty.Reps, "an empty file gets the default roster")
	require.Equal(t, c.Teams, empty.Teams)
}

// TestRoutingConversion checks what the router receives from the example.
func TestRoutingConversion(t *testing.T) {
	c, err := LoadFile("intake.example.yaml", lookup(nil))
	require.NoError(t, err)
	rc, err := c.Routing()
	require.NoError(t, err)

	require.Equal(t, "helpdesk", rc.DefaultTeam)
	require.Equal(t, "America/New_York", rc.BusinessHours.Location.String())
	tom := rc.Reps[3]
	require.Equal(t, "tom", tom.ID)
	require.Equal(t, "Europe/London", tom.Hours.Location.String())
	require.Equal(t, routing.RoleTech, tom.Role)
	lee := rc.Reps[2]
	require.Equal(t, DefaultCapacity, lee.Capacity, "capacity defaults when left out")

	// 10:00 in London on a Monday is 05:00 in New York: Tom is on, Dana is not.
	mon := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	require.True(t, tom.Hours.Contains(mon))
	require.False(t, rc.Reps[1].Hours.Contains(mon))

	infra := rc.Teams[1]
	require.Equal(t, routing.RoundRobin, infra.Strategy)
	require.NotNil(t, infra.Hours)
	require.Equal(t, 168*time.Hour, infra.OnCall.Shift)

	outage := rc.Rules[0]
	require.Equal(t, "outage", outage.Name)
	require.Len(t, outage.Keywords, 1)
	require.True(t, outage.Matches(routing.Labels{"text": "Our server is DOWN since 9"}, true))
	require.False(t, outage.Matches(routing.Labels{"text": "download a file"}, true))
	require.Equal(t, []string{"pat@acmedental.example", "+15557770101"}, rc.Rules[2].Contacts)

	r, err := routing.New(rc)
	require.NoError(t, err)
	require.NotNil(t, r)
}

// TestLookups covers org and contact matching and SLA defaults.
func TestLookups(t *testing.T) {
	c, err := LoadFile("intake.example.yaml", lookup(nil))
	require.NoError(t, err)

	for _, tc := range []struct{ email, phone, want string }{
		{"someone@acmedental.example", "", "acme"},
		{"Someone@MAIL.AcmeDental.example", "", "acme"},         // subdomain, any case
		{"pat@gmail.example", "+15557770101", "acme"},           // contact's phone
		{"PAT@acmedental.example", "", "acme"},                  // contact's email
		{"", "+15557770200", "bluebird"},                        // org phone
		{"x@bluebird-law.example", "+447700900500", "bluebird"}, // domain before phone
		{"x@notaclient.example", "+15550000000", ""},
	} {
		o, ok := c.OrgFor(tc.email, tc.phone)
		require.Equal(t, tc.want != "", ok, "OrgFor(%q, %q) found", tc.email, tc.phone)
		require.Equal(t, tc.want, o.ID, "OrgFor(%q, %q)", tc.email, tc.phone)
	}
	ct, ok := c.Contact("", "", "U0PAT")
	require.True(t, ok)
	require.Equal(t, "Pat Lee", ct.Name)
	_, ok = c.Contact("", "", "")
	require.False(t, ok)
	o, ok := c.Org("cedar")
	require.True(t, ok)
	require.Equal(t, PlanPrepaid, o.Plan)
	require.InDelta(t, 10, o.PrepaidHours, 0)
	rep, ok := c.Rep("maria")
	require.True(t, ok)
	require.Equal(t, routing.RoleManager, rep.Role)
	_, ok = c.Team("infrastructure")
	require.True(t, ok)

	require.Equal(t, 15*time.Minute, c.AckTimeout("urgent"))
	require.Equal(t, 2*time.Hour, c.AckTimeout("bogus"))
	require.Equal(t, 30*time.Minute, c.TransferOffer())
	require.Equal(t, 4*time.Hour, c.PlanSLA(PlanManaged).Resolution.For("urgent"))
	require.True(t, c.PlanSLA(PlanBreakFix).BusinessHours)
	require.Zero(t, c.PlanSLA(PlanBreakFix).Resolution.For("urgent"))

	var bare Config
	require.Equal(t, 8*time.Hour, bare.AckTimeout("low"), "defaults without a file")
	require.Equal(t, DefaultTransferOffer, bare.TransferOffer())
}

// TestMarshalRoundTrip: a config written back out as YAML loads to the
// same values.
func TestMarshalRoundTrip(t *testing.T) {
	c, err := LoadFile("intake.example.yaml", lookup(nil))
	require.NoError(t, err)
	out, err := yaml.Marshal(c)
	require.NoError(t, err)
	again, err := Parse(out, "out.yaml", lookup(nil))
	require.NoError(t, err, "marshalled:\n%s", out)
	c.src, again.src = nil, nil
	require.Equal(t, c, again)
}

// TestErrorWithoutFile: a Config built in code reports paths only.
func TestErrorWithoutFile(t *testing.T) {
	c := Default()
	c.Teams[0].Fallback = "nobody"
	c.Channels.Slack = &Slack{Channel: "C1"}
	err := c.Validate()
	require.EqualError(t, err, "teams[0].fallback: rep \"nobody\" is not in reps\n"+
		"channels.slack.bot_token: required\n"+
		"channels.slack.signing_secret: required")
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

// FuzzParse: no input makes Parse panic; every error names the file on
// every line; anything accepted also converts and builds a Router.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"*.yaml", "testdata/*.yaml"} {
		files, err := filepath.Glob(pattern)
		require.NoError(f, err)
		for _, file := range files {
			data, err := os.ReadFile(file)
			require.NoError(f, err)
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz.yaml", lookup(testEnv))
		if err != nil {
			for line := range strings.SplitSeq(err.Error(), "\n") {
				if !strings.HasPrefix(line, "fuzz.yaml") {
					t.Fatalf("Parse error line %q does not name the file; whole error:\n%v", line, err)
				}
			}
			return
		}
		require.NoError(t, c.Validate())
		rc, err := c.Routing()
		require.NoError(t, err)
		_, err = routing.New(rc)
		require.NoError(t, err)
		_, err = yaml.Marshal(c)
		require.NoError(t, err)
	})
}

// TestShapeErrors covers documents whose shape, not content, is wrong.
func TestShapeErrors(t *testing.T) {
	tests := []struct{ doc, want string }{
		{"- 1\n- 2\n", "x.yaml:1: want a mapping of keys (listen, public_url, store, api, reps, teams, orgs, contacts, routing, sla, acks, channels, dashboard), got a list"},
		{"listen: [1, 2]\n", "x.yaml:1: listen: want a string, got a list"},
		{"routing: 5\n", `x.yaml:1: routing: want a mapping of keys (business_hours, default_team, rules), got "5"`},
		{"routing:\n  rules: {a: 1}\n", "x.yaml:2: routing.rules: want a list, got a mapping"},
		{"? [a, b]\n: c\n", "x.yaml:1: a key must be a plain name, got a list"},
		{"x: &m {bogus: 1}\nreps:\n  - {<<: *m, id: b, name: B}\n", "x.yaml:1: reps[0].bogus: unknown key (known keys: id, name"},
		{"teams:\n  - id: t\n    on_call: {rota: [a], start: yesterday}\n", `x.yaml:3: teams[0].on_call.start: want a timestamp such as 2026-01-05T18:00:00-05:00, got "yesterday"`},
		{"sla: {ack: {urgent: ${X}}}\n", `x.yaml: YAML syntax error: did not find expected ',' or '}' (inside [...] or {...}, write a ${VAR} value in quotes: "${VAR}")`},
	}
	for _, tc := range tests {
		_, err := Parse([]byte(tc.doc), "x.yaml", lookup(nil))
		require.ErrorContains(t, err, tc.want, "Parse(%q)", tc.doc)
	}
}

// TestAnchorsAndMerges: YAML anchors, aliases and merge keys work, and a
// merged key can be overridden.
func TestAnchorsAndMerges(t *testing.T) {
	doc := `
reps:
  - &tech {id: a, name: Ann, skills: [network], timezone: Europe/London}
  - {<<: *tech, id: b, name: Bob}
teams:
  - {id: t, members: [a, b], fallback: m}
  - {id: u, members: &both [a, b], fallback: m}
  - {id: v, members: *both, fallback: m}
`
	_, err := Parse([]byte(doc+"  - {id: w, members: [], fallback: m}\n"), "x.yaml", lookup(nil))
	require.Error(t, err, "m is not a rep")
	require.ErrorContains(t, err, `x.yaml:6: teams[0].fallback: rep "m" is not in reps`)

	c, err := Parse([]byte(strings.ReplaceAll(doc, "fallback: m", "fallback: a")), "x.yaml", lookup(nil))
	require.NoError(t, err)
	require.Equal(t, "Bob", c.Reps[1].Name)
	require.Equal(t, "Europe/London", c.Reps[1].Timezone)
	require.Equal(t, []string{"a", "b"}, c.Teams[2].Members)
}
