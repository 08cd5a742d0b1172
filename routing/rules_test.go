package routing_test

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/intakehq/intake/routing"
)

func TestRuleMatches(t *testing.T) {
	kw := func(res ...string) []*regexp.Regexp {
		var out []*regexp.Regexp
		for _, re := range res {
			out = append(out, regexp.MustCompile(re))
		}
		return out
	}
	tests := []struct {
		name     string
		rule     routing.Rule
		labels   routing.Labels
		business bool
		want     bool
	}{
		{"empty rule matches anything", routing.Rule{}, nil, false, true},

		{"channel", routing.Rule{Channels: []string{"sms"}}, routing.Labels{"channel": "sms"}, true, true},
		{"channel ignores case", routing.Rule{Channels: []string{"SMS"}}, routing.Labels{"channel": "sms"}, true, true},
		{"channel alternatives", routing.Rule{Channels: []string{"email", "voice"}}, routing.Labels{"channel": "voice"}, true, true},
		{"channel mismatch", routing.Rule{Channels: []string{"email"}}, routing.Labels{"channel": "sms"}, true, false},
		{"channel missing label", routing.Rule{Channels: []string{"email"}}, routing.Labels{}, true, false},

		{"org", routing.Rule{Orgs: []string{"Acme"}}, routing.Labels{"org": "acme"}, true, true},
		{"org mismatch", routing.Rule{Orgs: []string{"acme"}}, routing.Labels{"org": "acme-labs"}, true, false},

		{"plan", routing.Rule{Plans: []string{"enterprise"}}, routing.Labels{"plan": "Enterprise"}, true, true},
		{"plan mismatch", routing.Rule{Plans: []string{"enterprise"}}, routing.Labels{"plan": "free"}, true, false},

		{"priority", routing.Rule{Priorities: []string{"high", "urgent"}}, routing.Labels{"priority": "URGENT"}, true, true},
		{"priority mismatch", routing.Rule{Priorities: []string{"high"}}, routing.Labels{"priority": "low"}, true, false},
		{"missing priority is normal", routing.Rule{Priorities: []string{"normal"}}, routing.Labels{}, true, true},
		{"missing priority is not high", routing.Rule{Priorities: []string{"high"}}, routing.Labels{}, true, false},

		{"contact email ignores case", routing.Rule{Contacts: []string{"Boss@BigCo.com"}}, routing.Labels{"contact": "boss@bigco.COM"}, true, true},
		{"contact phone exact", routing.Rule{Contacts: []string{"+15550001"}}, routing.Labels{"contact": "+15550001"}, true, true},
		{"contact phone differs", routing.Rule{Contacts: []string{"+15550001"}}, routing.Labels{"contact": "15550001"}, true, false},
		{"contact slack id is case-sensitive", routing.Rule{Contacts: []string{"U01ABC"}}, routing.Labels{"contact": "u01abc"}, true, false},
		{"contact phone among several identities", routing.Rule{Contacts: []string{"+15550001"}}, routing.Labels{"contact": "pat@acme.io,+15550001,U0PAT"}, true, true},
		{"contact none of several identities", routing.Rule{Contacts: []string{"+15550002"}}, routing.Labels{"contact": "pat@acme.io,+15550001"}, true, false},

		{"keyword", routing.Rule{Keywords: kw(`(?i)\brefund\b`)}, routing.Labels{"text": "I want a REFUND now"}, true, true},
		{"any keyword", routing.Rule{Keywords: kw(`outage`, `down`)}, routing.Labels{"text": "site down"}, true, true},
		{"no keyword", routing.Rule{Keywords: kw(`outage`, `down`)}, routing.Labels{"text": "all good"}, true, false},
		{"keyword is case-sensitive unless the regexp says not", routing.Rule{Keywords: kw(`outage`)}, routing.Labels{"text": "OUTAGE"}, true, false},
		{"keyword on missing text", routing.Rule{Keywords: kw(`.`)}, routing.Labels{}, true, false},
		{"keyword may match empty text", routing.Rule{Keywords: kw(`^$`)}, routing.Labels{}, true, true},

		{"business hours in business", routing.Rule{Hours: "business"}, nil, true, true},
		{"business hours after hours", routing.Rule{Hours: "business"}, nil, false, false},
		{"after hours after hours", routing.Rule{Hours: "after"}, nil, false, true},
		{"after hours in business", routing.Rule{Hours: "after"}, nil, true, false},
		{"unknown hours never match", routing.Rule{Hours: "weekend"}, nil, false, false},

		{"all matchers", routing.Rule{
			Channels: []string{"email"}, Orgs: []string{"acme"}, Plans: []string{"pro"},
			Contacts: []string{"a@acme.io"}, Priorities: []string{"high"}, Keywords: kw(`invoice`), Hours: "business",
		}, routing.Labels{"channel": "email", "org": "acme", "plan": "pro", "contact": "a@acme.io", "priority": "high", "text": "invoice 12"}, true, true},
		{"all matchers but one", routing.Rule{
			Channels: []string{"email"}, Orgs: []string{"acme"}, Plans: []string{"pro"},
			Contacts: []string{"a@acme.io"}, Priorities: []string{"high"}, Keywords: kw(`invoice`), Hours: "business",
		}, routing.Labels{"channel": "email", "org": "acme", "plan": "pro", "contact": "a@acme.io", "priority": "high", "text": "invoice 12"}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.rule.Matches(tt.labels, tt.business), "Matches(%v, %v)", tt.labels, tt.business)
		})
	}
}
