package main

import (
	"flag"
	"fmt"
	"io"
)

// checkConfigCmd runs exactly the validation serve runs before it starts
// (prepare): the file with the same environment (INTAKE_STORE,
// INTAKE_ADMIN_TOKEN) and, when given, the same --addr and --store, and
// every adapter's own checks. Every problem is printed, one
// "FILE:LINE: path: message" a line.
func checkConfigCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f serveFlags
	fs.StringVar(&f.config, "config", "", "config file to check")
	fs.StringVar(&f.addr, "addr", "", "listen address serve would be given with --addr")
	fs.StringVar(&f.store, "store", "", "store URL serve would be given with --store")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if f.config == "" {
		fmt.Fprintln(stderr, "intake check-config: --config FILE is required")
		return 2
	}
	cfg, _, err := prepare(f)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok (%d reps, %d teams, %d orgs, %d routing rules)\n",
		f.config, len(cfg.Reps), len(cfg.Teams), len(cfg.Orgs), len(cfg.Routes.Rules))
	return 0
}
