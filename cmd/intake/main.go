// Command intake is the omnichannel intake gateway: it turns calls, texts,
// mail and Slack messages into tickets that always have one owning rep.
//
//	intake serve [--config FILE] [--addr HOST:PORT] [--store URL]
//	intake check-config --config FILE [--addr HOST:PORT] [--store URL]
//	intake audit [--server URL] [--token T]
//	intake bench [--server URL] [--token T] [-n N] [-c C]
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `intake — omnichannel intake gateway; every ticket has one owner.

Usage:
  intake serve [--config FILE] [--addr HOST:PORT] [--store URL]
      Run the gateway. With no config: SQLite under ./data/, HTTP on
      127.0.0.1:8080, a one-person roster (the local admin).
  intake check-config --config FILE [--addr HOST:PORT] [--store URL]
      Validate a config file exactly as serve would (with the same flags
      and environment); exit 1 with every error, each with its line.
  intake audit [--server URL] [--token T]
      List open tickets that are unowned, unacknowledged past their
      timeout or past SLA; exit 1 if any ticket is unowned.
  intake bench [--server URL] [--token T] [-n N] [-c C] [--mode create|assign]
      Load a running server and report throughput and latency percentiles.

Environment:
  INTAKE_STORE         store URL, overrides the config's store
  INTAKE_ADMIN_TOKEN   one more manager API token
  INTAKE_TOKEN         token used by audit and bench when --token is not given
`

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serveCmd(ctx, args[1:], stdout, stderr)
	case "check-config":
		return checkConfigCmd(args[1:], stdout, stderr)
	case "audit": // both print what the server holds: see screen
		return onScreen(stdout, stderr, func(stdout, stderr io.Writer) int { return auditCmd(ctx, args[1:], stdout, stderr) })
	case "bench":
		return onScreen(stdout, stderr, func(stdout, stderr io.Writer) int { return benchCmd(ctx, args[1:], stdout, stderr) })
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "intake: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}
