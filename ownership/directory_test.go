package ownership

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDirectoryResolve(t *testing.T) {
	d := newDirectory(
		[]Org{{ID: "acme", Domains: []string{"acme.test"}, Phones: []string{"+15557770000"}}, {ID: "cedar", Domains: []string{"cedar.test"}}},
		[]ContactLink{{Name: "Pat Lee", Emails: []string{"Pat@acme.test"}, Phones: []string{"+15557770101"}, SlackUser: "U0PAT", Org: "acme"}},
	)
	tests := []struct {
		name    string
		in      Contact
		want    Contact
		wantOrg string
	}{
		{"email link fills the rest", Contact{Email: "PAT@acme.test"}, Contact{Name: "Pat Lee", Email: "pat@acme.test", Phone: "+15557770101", SlackUser: "U0PAT"}, "acme"},
		{"phone link fills the rest", Contact{Phone: "+15557770101"}, Contact{Name: "Pat Lee", Email: "pat@acme.test", Phone: "+15557770101", SlackUser: "U0PAT"}, "acme"},
		{"domain decides the org", Contact{Email: "x@cedar.test"}, Contact{Email: "x@cedar.test"}, "cedar"},
		{"a phone link does not override another org's email", Contact{Email: "x@cedar.test", Phone: "+15557770101"}, Contact{Email: "x@cedar.test", Phone: "+15557770101"}, "cedar"},
		{"org phone", Contact{Phone: "+15557770000"}, Contact{Phone: "+15557770000"}, "acme"},
		{"stranger", Contact{Email: "a@b.test"}, Contact{Email: "a@b.test"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, org := d.resolve(tc.in)
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.wantOrg, org)
		})
	}
}
