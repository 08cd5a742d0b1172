package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/intakehq/intake/ownership"
)

// benchCmd loads a running server and checks the promises afterwards.
// Exit 1 when a check fails.
func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, client := clientFlagSet("bench", "manager API token", stderr)
	n := fs.Int("n", 1000, "requests to send")
	c := fs.Int("c", 100, "concurrent requests")
	mode := fs.String("mode", "create", "create: POST tickets; assign: race assigns on one ticket with the version read; assign-noversion: the same without version")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *n < 1 || *c < 1 {
		fmt.Fprintln(stderr, "intake bench: -n and -c must be at least 1")
		return 2
	}
	cl := client(*c)
	var err error
	switch *mode {
	case "create":
		err = benchCreate(ctx, cl, *n, *c, stdout)
	case "assign":
		err = benchAssign(ctx, cl, *n, *c, true, stdout)
	case "assign-noversion":
		err = benchAssign(ctx, cl, *n, *c, false, stdout)
	default:
		fmt.Fprintf(stderr, "intake bench: unknown --mode %q\n", *mode)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stdout, "FAIL: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "PASS")
	return 0
}

// result is one request's outcome.
type result struct {
	code int
	dur  time.Duration
	id   string
	err  error
}

// fire runs n calls of fn over c workers and returns their results.
func fire(ctx context.Context, n, c int, fn func(i int) result) ([]result, time.Duration) {
	out := make([]result, n)
	next := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = fn(i)
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	return out, time.Since(start)
}

func report(w io.Writer, what string, rs []result, elapsed time.Duration) map[int]int {
	codes := map[int]int{}
	var durs []time.Duration
	for _, r := range rs {
		codes[r.code]++
		durs = append(durs, r.dur)
	}
	slices.Sort(durs)
	pct := func(p float64) time.Duration { return durs[min(len(durs)-1, int(p*float64(len(durs))))] }
	fmt.Fprintf(w, "%s: %d requests in %s = %.0f req/s\n", what, len(rs), elapsed.Round(time.Millisecond), float64(len(rs))/elapsed.Seconds())
	fmt.Fprintf(w, "latency: p50 %s  p90 %s  p99 %s  max %s\n", pct(.50).Round(time.Microsecond*10), pct(.90).Round(time.Microsecond*10),
		pct(.99).Round(time.Microsecond*10), durs[len(durs)-1].Round(time.Microsecond*10))
	fmt.Fprintf(w, "status codes: %v\n", codes)
	return codes
}

func benchCreate(ctx context.Context, cl *apiClient, n, c int, w io.Writer) error {
	run := fmt.Sprintf("%x", rand.Uint32())
	subjects := []string{"Printer offline", "Cannot log in to VPN", "Outlook keeps asking for password", "New laptop setup", "Server down", "Wi-Fi drops"}
	rs, elapsed := fire(ctx, n, c, func(i int) result {
		body := map[string]any{
			"subject": subjects[i%len(subjects)],
			"body":    "Opened by intake bench, run " + run,
			"contact": map[string]string{"name": fmt.Sprintf("Bench User %d", i), "email": fmt.Sprintf("bench-%s-%d@bench.invalid", run, i)},
		}
		var t ownership.Ticket
		start := time.Now()
		code, err := cl.do(ctx, "POST", "/api/v1/tickets", body, &t)
		return result{code: code, dur: time.Since(start), id: t.ID, err: err}
	})
	codes := report(w, "create", rs, elapsed)
	if codes[201] != n {
		return fmt.Errorf("%d of %d creates answered 201", codes[201], n)
	}
	return verifyOwners(ctx, cl, rs, c, w)
}

// verifyOwners checks every created ticket has one owner and one
// "assigned" event, the summary has no unowned ticket, and no rep is above
// capacity.
func verifyOwners(ctx context.Context, cl *apiClient, rs []result, c int, w io.Writer) error {
	var mu sync.Mutex
	var problems []string
	ids := map[string]bool{}
	for _, r := range rs {
		ids[r.id] = true
	}
	if len(ids) != len(rs) {
		return fmt.Errorf("%d creates returned only %d distinct ticket ids", len(rs), len(ids))
	}
	fire(ctx, len(rs), c, func(i int) result {
		var t struct {
			ownership.Ticket
			Events []ownership.Event `json:"events"`
		}
		_, err := cl.do(ctx, "GET", "/api/v1/tickets/"+rs[i].id, nil, &t)
		assigned := 0
		for _, ev := range t.Events {
			if ev.Type == ownership.EventAssigned {
				assigned++
			}
		}
		if err != nil || t.Owner == "" || assigned != 1 {
			mu.Lock()
			problems = append(problems, fmt.Sprintf("%s: owner %q, %d assigned events, err %v", rs[i].id, t.Owner, assigned, err))
			mu.Unlock()
		}
		return result{}
	})
	if len(problems) > 0 {
		return fmt.Errorf("%d tickets without exactly one owner, e.g. %s", len(problems), problems[0])
	}
	fmt.Fprintf(w, "verified: %d tickets, each with an owner and one assigned event\n", len(rs))
	var sum ownership.Summary
	if _, err := cl.do(ctx, "GET", "/api/v1/summary", nil, &sum); err != nil {
		return err
	}
	fmt.Fprintf(w, "summary: open %d, unowned %d, by_owner %v\n", sum.Open, sum.Unowned, sum.ByOwner)
	if sum.Unowned != 0 {
		return fmt.Errorf("summary reports %d unowned tickets", sum.Unowned)
	}
	var reps struct {
		Reps []ownership.RepView `json:"reps"`
	}
	if _, err := cl.do(ctx, "GET", "/api/v1/reps", nil, &reps); err != nil {
		return err
	}
	// A team's fallback owns what no eligible rep can take, so only the
	// fallback may go above capacity, and only once every other rep with
	// room was refused for a reason (shift, availability, capacity).
	var over []string
	for _, r := range reps.Reps {
		note := ""
		isFallback := len(r.FallbackFor) > 0
		if isFallback {
			note = " (a team fallback)"
		}
		fmt.Fprintf(w, "  %-10s open %4d / capacity %s%s\n", r.ID, r.Open, capText(r.Capacity), note)
		if r.Capacity > 0 && r.Open > r.Capacity && !isFallback {
			over = append(over, fmt.Sprintf("%s has %d open, above capacity %d", r.ID, r.Open, r.Capacity))
		}
	}
	if len(over) > 0 {
		return fmt.Errorf("reps above capacity: %v", over)
	}
	return nil
}

func capText(c int) string {
	if c == 0 {
		return "unlimited"
	}
	return fmt.Sprint(c)
}

// benchAssign races n assigns on one new ticket. With the version: exactly
// one wins. Without: all apply in turn, one event each.
func benchAssign(ctx context.Context, cl *apiClient, n, c int, withVersion bool, w io.Writer) error {
	var reps struct {
		Reps []ownership.RepView `json:"reps"`
	}
	if _, err := cl.do(ctx, "GET", "/api/v1/reps", nil, &reps); err != nil {
		return err
	}
	var t ownership.Ticket
	body := map[string]any{"subject": "assign race", "contact": map[string]string{"email": fmt.Sprintf("race-%x@bench.invalid", rand.Uint32())}}
	if _, err := cl.do(ctx, "POST", "/api/v1/tickets", body, &t); err != nil {
		return err
	}
	var owners []string
	for _, r := range reps.Reps {
		if r.ID != t.Owner {
			owners = append(owners, r.ID)
		}
	}
	if len(owners) == 0 {
		return errors.New("the roster needs at least two reps for an assign race")
	}
	winners := make([]string, n)
	rs, elapsed := fire(ctx, n, c, func(i int) result {
		req := map[string]any{"owner": owners[i%len(owners)], "reason": fmt.Sprintf("race %d", i)}
		if withVersion {
			req["version"] = t.Version
		}
		start := time.Now()
		code, err := cl.do(ctx, "POST", "/api/v1/tickets/"+t.ID+"/assign", req, nil)
		if code == 200 {
			winners[i] = owners[i%len(owners)]
		}
		return result{code: code, dur: time.Since(start), err: err}
	})
	codes := report(w, "assign "+t.ID, rs, elapsed)
	var final struct {
		ownership.Ticket
		Events []ownership.Event `json:"events"`
	}
	if _, err := cl.do(ctx, "GET", "/api/v1/tickets/"+t.ID, nil, &final); err != nil {
		return err
	}
	var assigned []ownership.Event
	for _, ev := range final.Events {
		if ev.Type == ownership.EventAssigned && ev.Actor != "router" {
			assigned = append(assigned, ev)
		}
	}
	fmt.Fprintf(w, "final owner %s, version %d, %d new assigned events\n", final.Owner, final.Version, len(assigned))
	if withVersion {
		if codes[200] != 1 || codes[409] != n-1 {
			return fmt.Errorf("want 1×200 and %d×409, got %v", n-1, codes)
		}
		winner := ""
		for _, o := range winners {
			if o != "" {
				winner = o
			}
		}
		if final.Owner != winner || len(assigned) != 1 {
			return fmt.Errorf("winner %s but owner %s with %d new assigned events", winner, final.Owner, len(assigned))
		}
		return nil
	}
	if codes[200] != n || len(assigned) != n {
		return fmt.Errorf("want %d×200 and %d events, got %v and %d events", n, n, codes, len(assigned))
	}
	if last := assigned[len(assigned)-1]; last.To != final.Owner {
		return fmt.Errorf("final owner %s is not the last recorded (%s)", final.Owner, last.To)
	}
	return nil
}
