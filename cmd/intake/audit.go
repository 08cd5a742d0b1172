package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/intakehq/intake/ownership"
)

// auditCmd lists the tickets that break a promise. Exit 0: healthy (or only
// overdue); 1: a ticket is unowned; 2: the audit could not run.
func auditCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, client := clientFlagSet("audit", "API token", stderr)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	c := client(1)
	var a struct {
		ownership.Audit
		// Scope is the tickets the token sees: "all" for a manager, else
		// the tech scope (own, team); "" from a server older than scopes.
		Scope ownership.TechScope `json:"scope"`
	}
	if _, err := c.do(ctx, "GET", "/api/v1/audit", nil, &a); err != nil {
		fmt.Fprintf(stderr, "intake audit: %v\n", err)
		return 2
	}
	if a.Scope != "" && a.Scope != ownership.ScopeAll {
		fmt.Fprintf(stderr, "intake audit: this is a tech's token (api.tech_scope: %s): only the tickets it may see are audited; use a manager token to audit every ticket\n", a.Scope)
	}
	now := time.Now()
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	section := func(title string, ts []ownership.Ticket, detail func(ownership.Ticket) string) {
		fmt.Fprintf(tw, "%s: %d\n", title, len(ts))
		for _, t := range ts {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", oneLine(t.ID), oneLine(string(t.Status)), oneLine(orNone(t.Owner)), oneLine(detail(t)))
		}
	}
	section("UNOWNED", a.Unowned, func(t ownership.Ticket) string { return t.Subject })
	section("ACK OVERDUE", a.AckOverdue, func(t ownership.Ticket) string {
		return fmt.Sprintf("assigned %s ago, not acknowledged", now.Sub(t.AssignedAt).Round(time.Minute))
	})
	section("SLA BREACHED", a.SLABreached, func(t ownership.Ticket) string { return slaDetail(t, now) })
	_ = tw.Flush()
	if len(a.Unowned) > 0 {
		fmt.Fprintf(stdout, "FAIL: %d ticket(s) have no owner\n", len(a.Unowned))
		return 1
	}
	fmt.Fprintln(stdout, "OK: every open ticket has an owner")
	return 0
}

func orNone(s string) string {
	if s == "" {
		return "(no owner)"
	}
	return s
}

func slaDetail(t ownership.Ticket, now time.Time) string {
	if t.FirstResponseDue != nil && t.FirstResponseAt == nil && now.After(*t.FirstResponseDue) {
		return fmt.Sprintf("first response due %s ago", now.Sub(*t.FirstResponseDue).Round(time.Minute))
	}
	if t.ResolutionDue != nil {
		return fmt.Sprintf("resolution due %s ago", now.Sub(*t.ResolutionDue).Round(time.Minute))
	}
	return ""
}
