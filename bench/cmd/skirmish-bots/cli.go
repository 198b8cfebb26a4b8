package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/skirmishgg/skirmish/bench/report"
	"github.com/skirmishgg/skirmish/bench/robustness"
	"github.com/skirmishgg/skirmish/bench/scenario"
)

const usage = `skirmish-bots: load generator for the Skirmish game server.

usage: skirmish-bots <command> [flags]

commands:
  idle      connect -n bots that finish the handshake and stay silent
  play      -rooms R × -players P bots in rooms of -mode (movers), one input per
            tick each
  slow      like play, measured in a reference window where every bot reads,
            then in a window where -fraction of the bots stop reading; PASS/FAIL
  churn     connect, join, hold, leave, disconnect, at -rate connections per
            second, -total cycles; PASS/FAIL on the server's level after
  stall     -n peers stall (half upgrades, half frames) while legitimate bots
            join; PASS/FAIL on join latency and the server's deadlines
  baseline  the play load against a raw broadcast server (the CPU floor); with
            -url and -server-pid it also runs play against that server and
            reports the ratio
  abuse     malformed, oversized, unmasked, fragmented and text frames, half
            upgrades and half frames; reports how the server answered each
  suite     what 'make bench' runs: starts -server on a random port, runs idle,
            play and baseline, writes -json (default bench/results/latest.json)
  robust    starts -server itself and runs stall 5000, churn 100 000 and slow
            20×50 with their pass lines, writes -json (default
            bench/results/robustness.json)
  interest  play movers 10×50 and movers-large 1×500 against fresh -server
            processes, side by side; PASS/FAIL on the server CPU per
            client·tick ratio (≤ 2×); -json default bench/results/interest.json
  bandwidth play 10×50 with -latency 100ms against a fresh -server sending
            deltas and one with -full-snapshots; PASS/FAIL on the deltas'
            payload bytes per client·s (≤ 6 000); -json default
            bench/results/bandwidth.json
  resume    -n bots play, drop their sockets (no close frame), reconnect and
            resume their sessions; PASS/FAIL on every resume, the entity's
            return and no roster change for the others
  match     bots quick-match into movers rooms at -rate joins per second;
            PASS/FAIL on all joined, the achieved rate and the rooms opened

The commands with a pass line print PASS or FAIL with their checks, put
"pass" in the JSON and exit with status 1 on FAIL.

Run 'skirmish-bots <command> -h' for the flags of a command.
`

// command is a scenario as a command: where its JSON goes by default.
type command struct {
	scenario.Scenario
	json string // the -json default
}

// commands are the scenarios, fresh for each call of Main (their flags
// bind to their fields).
func commands() []command {
	return []command{
		{Scenario: &scenario.Idle{}},
		{Scenario: &scenario.Play{}},
		{Scenario: &robustness.Slow{}},
		{Scenario: &robustness.Churn{}},
		{Scenario: &robustness.Stall{}},
		{Scenario: &scenario.Baseline{}},
		{Scenario: &robustness.Abuse{}},
		{Scenario: &scenario.Suite{}, json: "bench/results/latest.json"},
		{Scenario: &robustness.Robust{}, json: "bench/results/robustness.json"},
		{Scenario: &scenario.Interest{}, json: "bench/results/interest.json"},
		{Scenario: &scenario.Bandwidth{}, json: "bench/results/bandwidth.json"},
		{Scenario: &scenario.Resume{}},
		{Scenario: &scenario.Match{}},
	}
}

// errFailed is a run whose pass line failed: the report is written, and
// the exit status is 1.
var errFailed = errors.New("FAIL")

// errUsage is a command line that flag already explained.
var errUsage = errors.New("usage")

// Main is the command line; it returns the process exit status.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) < 1 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	for _, c := range commands() {
		if c.Name() == name {
			return exitStatus(name, run(ctx, c, rest, stdout, stderr), stderr)
		}
	}
	fmt.Fprintf(stderr, "skirmish-bots: unknown command %q\n\n%s", name, usage)
	return 2
}

// run parses the command's own flags, runs it, prints its table and pass
// lines and writes its JSON.
func run(ctx context.Context, c command, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(c.Name(), flag.ContinueOnError)
	fs.SetOutput(stderr)
	jsonPath := fs.String("json", c.json, "write the figures as JSON to this file")
	c.Flags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected arguments: %v\n", fs.Args())
		return errUsage
	}
	rep, err := c.Run(ctx, scenario.Env{Progress: stderr})
	return finish(rep, err, *jsonPath, stdout)
}

// finish prints the report and writes its JSON, even for a run that
// failed part-way (runErr): the run's error wins over a failed pass line,
// and a failure to write the report is joined to it.
func finish(rep *report.Report, runErr error, jsonPath string, stdout io.Writer) error {
	if rep == nil {
		return runErr
	}
	var err error
	if werr := rep.WriteTable(stdout); werr != nil {
		err = werr
	} else if jsonPath != "" {
		err = rep.WriteJSON(jsonPath)
	}
	switch {
	case err != nil:
		return errors.Join(runErr, err)
	case runErr != nil:
		return runErr
	case !rep.Pass():
		return errFailed
	}
	return nil
}

// exitStatus maps a command's outcome to the exit status: 0, 1 for a
// failed run or pass line, 2 for a usage error.
func exitStatus(name string, err error, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case scenario.IsUsage(err):
		fmt.Fprintf(stderr, "skirmish-bots %s\n", err)
		return 2
	case errors.Is(err, errFailed):
		return 1
	}
	fmt.Fprintf(stderr, "skirmish-bots %s: %v\n", name, err)
	return 1
}
