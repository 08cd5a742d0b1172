package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// apiClient talks to a running intake over its JSON API.
type apiClient struct {
	base  string
	token string
	http  *http.Client
}

// clientFlagSet is the flag set of a command that talks to a running
// server: --server, and --token (what says which token it must be). Once
// the flags are parsed, client builds the apiClient, keeping conns
// connections open.
func clientFlagSet(name, what string, stderr io.Writer) (fs *flag.FlagSet, client func(conns int) *apiClient) {
	fs = flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "http://127.0.0.1:8080", "intake server base URL")
	token := fs.String("token", "", what+" (default $INTAKE_TOKEN or $INTAKE_ADMIN_TOKEN)")
	return fs, func(conns int) *apiClient { return newAPIClient(*server, *token, conns) }
}

func newAPIClient(server, token string, conns int) *apiClient {
	if token == "" {
		token = firstEnv("INTAKE_TOKEN", "INTAKE_ADMIN_TOKEN")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = max(conns, 2)
	return &apiClient{base: strings.TrimRight(server, "/"), token: token, http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// do sends a JSON request and decodes a JSON answer into out (if not nil).
// It returns the status code; a transport error is an error.
func (c *apiClient) do(ctx context.Context, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(raw, &e)
		if out != nil && resp.StatusCode == http.StatusConflict {
			_ = json.Unmarshal(raw, out)
		}
		return resp.StatusCode, &httpError{code: resp.StatusCode, msg: e.Error}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.code, e.msg) }
