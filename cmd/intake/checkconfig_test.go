package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// configTestEnv is the environment the configs package's testdata expects.
var configTestEnv = map[string]string{
	"INTAKE_TEST_TOKEN":        "tok-0123456789abcdef",
	"INTAKE_TEST_TWILIO_SID":   "AC0123456789abcdef0123456789abcdef",
	"INTAKE_TEST_TWILIO_TOKEN": "f00dfeedf00dfeedf00dfeedf00dfeed",
	"INTAKE_TEST_PASSWORD":     `imap"pa'$$word\`,
	"INTAKE_TEST_SLACK_BOT":    "xoxb-bot-secret-value",
}

// checkCase is one configuration given to both commands.
type checkCase struct {
	name  string
	file  string            // config file
	addr  string            // --addr
	store string            // --store
	env   map[string]string // besides configTestEnv
	want  []string          // lines check-config prints (prefixes); none: ok
}

// TestCheckConfigMatchesServe walks every configs/testdata file and a few
// command-line and environment cases, and runs each through the real
// `intake check-config` and through serve up to listening: both must give
// the same verdict, and the same messages, one "FILE:LINE: path: message"
// a line.
func TestCheckConfigMatchesServe(t *testing.T) {
	files, err := filepath.Glob("../../configs/testdata/*.yaml")
	require.NoError(t, err)
	files = append(files, exampleConfig)
	var cases []checkCase
	for _, f := range files {
		abs, err := filepath.Abs(f)
		require.NoError(t, err)
		cases = append(cases, checkCase{name: filepath.Base(f), file: abs})
	}
	dir := t.TempDir()
	open := filepath.Join(dir, "open.yaml")
	require.NoError(t, os.WriteFile(open, []byte("listen: 127.0.0.1:0\n"), 0o600))
	tokens := filepath.Join(dir, "tokens.yaml")
	require.NoError(t, os.WriteFile(tokens, []byte("api:\n  tokens:\n    - {name: ops, token: ops-0123456789abcdef, role: manager}\n"), 0o600))
	cases = append(cases,
		checkCase{name: "--addr off loopback without tokens", file: open, addr: "0.0.0.0:0",
			want: []string{`--addr: "0.0.0.0:0" is not a loopback address and no api.tokens are configured`}},
		checkCase{name: "--addr off loopback with INTAKE_ADMIN_TOKEN", file: open, addr: "0.0.0.0:0",
			env: map[string]string{"INTAKE_ADMIN_TOKEN": "admin-0123456789abcdef"}},
		checkCase{name: "bad INTAKE_STORE", file: open, env: map[string]string{"INTAKE_STORE": "postgres://db"},
			want: []string{`INTAKE_STORE: unknown store type "postgres"`}},
		checkCase{name: "bad --store", file: open, store: "redis://:hunter2@localhost:6379/x",
			want: []string{`--store: parse url: redis: invalid database number: "x"`}},
		checkCase{name: "short INTAKE_ADMIN_TOKEN and a file error", file: filepath.Join(mustAbs(t, "../../configs/testdata"), "bad-fallback.yaml"),
			env:  map[string]string{"INTAKE_ADMIN_TOKEN": "short"},
			want: []string{"INTAKE_ADMIN_TOKEN: is 5 characters; use at least 16", "bad-fallback.yaml:6: teams[0].fallback:"}},
		checkCase{name: "INTAKE_ADMIN_TOKEN reuses a configured token", file: tokens,
			env:  map[string]string{"INTAKE_ADMIN_TOKEN": "ops-0123456789abcdef"},
			want: []string{"INTAKE_ADMIN_TOKEN: same token as api.tokens[0]"}},
	)
	expect := map[string][]string{
		"bad-acks.yaml":             {"bad-acks.yaml:5: acks.template: must mention {{ticket}}", "bad-acks.yaml:11: channels.twilio.ack_template: must mention {{ticket}}"},
		"bad-twilio-token.yaml":     {"bad-twilio-token.yaml:7: channels.twilio.auth_token: must contain only letters and digits"},
		"bad-slack-token.yaml":      {"bad-slack-token.yaml:5: channels.slack.bot_token: a user token", "bad-slack-token.yaml:7: channels.slack.app_token: a bot token"},
		"bad-email-tls.yaml":        {"bad-email-tls.yaml:5: channels.email.imap.tls:", "bad-email-tls.yaml:10: channels.email.smtp.tls:"},
		"bad-unknown-and-more.yaml": {"bad-unknown-and-more.yaml:6: reps[0].colour: unknown key", "bad-unknown-and-more.yaml:10: teams[0].fallback:"},
		"bad-nul.yaml":              {"bad-nul.yaml:3: column 16 (byte offset 35): a NUL byte"},
		"bad-latin1.yaml":           {"bad-latin1.yaml:4: column 14 (byte offset 69): byte 0xE9 is not UTF-8", "bad-latin1.yaml:4: column 20"},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(t.TempDir()) // the default store, sqlite:data/intake.db, lands here
			for k, v := range configTestEnv {
				t.Setenv(k, v)
			}
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			if w, ok := expect[tc.name]; ok {
				tc.want = w
			}
			bad := strings.HasPrefix(tc.name, "bad-") || len(tc.want) > 0
			if !bad && tc.addr == "" {
				// Both commands get it: a file's own listen address
				// (127.0.0.1:8080) may be taken on a test machine.
				tc.addr = "127.0.0.1:0"
			}
			args := []string{"check-config", "--config", tc.file}
			if tc.addr != "" {
				args = append(args, "--addr", tc.addr)
			}
			if tc.store != "" {
				args = append(args, "--store", tc.store)
			}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), args, &stdout, &stderr)
			checked := strings.TrimSpace(stderr.String())

			served := serveUntilListening(t, serveFlags{config: tc.file, addr: tc.addr, store: tc.store})

			require.Equal(t, code == 0, served == "", "check-config exit %d (%s) but serve: %q", code, checked, served)
			require.Equal(t, checked, served, "check-config and serve disagree")
			require.Equal(t, bad, code != 0, "verdict on %s: %s", tc.name, checked)
			if code == 0 {
				return
			}
			require.Equal(t, 1, code)
			lines := strings.Split(checked, "\n")
			for _, l := range lines {
				require.NotContains(t, l, "hunter2", "a password in an error")
				if strings.HasPrefix(l, tc.file) {
					require.Regexp(t, `^`+regexpQuote(tc.file)+`:\d+: `, l, "a problem in the file names its line")
				}
			}
			if len(tc.want) > 0 {
				require.Len(t, lines, len(tc.want), checked)
				for i, w := range tc.want {
					require.Contains(t, lines[i], w, "line %d of:\n%s", i, checked)
				}
			}
		})
	}
}

// serveUntilListening runs serve with f until it listens (then stops it)
// or fails, and returns its error text, "" when it started.
func serveUntilListening(t *testing.T, f serveFlags) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, f, discardLogger(), ready) }()
	select {
	case <-ready:
		cancel()
		require.NoError(t, <-done)
		return ""
	case err := <-done:
		require.Error(t, err)
		return err.Error()
	case <-time.After(30 * time.Second):
		t.Fatal("serve neither listened nor failed in 30s")
		return ""
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	abs, err := filepath.Abs(p)
	require.NoError(t, err)
	return abs
}

func regexpQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
