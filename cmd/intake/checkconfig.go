package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/intakehq/intake/configs"
)

// checkConfigCmd runs exactly the validation serve runs.
func checkConfigCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "config file to check")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *path == "" {
		fmt.Fprintln(stderr, "intake check-config: --config FILE is required")
		return 2
	}
	cfg, err := configs.Load(*path)
	if err == nil {
		_, err = build(cfg)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok (%d reps, %d teams, %d orgs, %d routing rules)\n",
		*path, len(cfg.Reps), len(cfg.Teams), len(cfg.Orgs), len(cfg.Routes.Rules))
	return 0
}
