package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/skirmishgg/skirmish/game/modes"
)

// The commands of interest management, bandwidth, sessions and
// matchmaking: interest and bandwidth compare fresh servers side by side;
// resume and match run against -url, or a fresh server of their own with
// -server.

// serverFlags are -server and -server-args.
type serverFlags struct {
	path, args string
}

func (s *serverFlags) register(fs *flag.FlagSet, required bool) {
	help := "path to a built server binary: start it on 127.0.0.1:0 and run against it (instead of -url)"
	if required {
		help = "path to a built server binary (required): each run gets a fresh one on 127.0.0.1:0"
	}
	fs.StringVar(&s.path, "server", "", help)
	fs.StringVar(&s.args, "server-args", "", "extra flags for the server, space-separated (e.g. \"-tick-rate 30\")")
}

func (s *serverFlags) argv() []string { return strings.Fields(s.args) }

func runInterestCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c := newCommandFlags("interest", stderr)
	setDefault(fs, "json", "bench/results/interest.json")
	var sf serverFlags
	sf.register(fs, true)
	cfg := DefaultInterestConfig()
	fs.StringVar(&cfg.Small.Mode, "small-mode", cfg.Small.Mode, "the reference load's mode")
	fs.IntVar(&cfg.Small.Rooms, "small-rooms", cfg.Small.Rooms, "the reference load's rooms")
	fs.IntVar(&cfg.Small.Players, "small-players", cfg.Small.Players, "the reference load's players per room")
	fs.StringVar(&cfg.Large.Mode, "large-mode", cfg.Large.Mode, "the large load's mode (interest management)")
	fs.IntVar(&cfg.Large.Rooms, "large-rooms", cfg.Large.Rooms, "the large load's rooms")
	fs.IntVar(&cfg.Large.Players, "large-players", cfg.Large.Players, "the large load's players per room")
	fs.Float64Var(&cfg.MaxCPURatio, "max-cpu-ratio", cfg.MaxCPURatio, "the bar: large server CPU per client·tick at most this multiple of the small one's")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if sf.path == "" {
		fmt.Fprintln(stderr, "interest: -server is required")
		return errUsage
	}
	o, err := c.options(stderr)
	if err != nil {
		return err
	}
	cfg.ServerPath, cfg.ServerArgs, cfg.Options = sf.path, sf.argv(), o
	rep, runErr := RunInterest(ctx, cfg)
	return finishRun(rep, runErr, c.jsonPath, stdout)
}

func runBandwidthCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c := newCommandFlags("bandwidth", stderr)
	setDefault(fs, "json", "bench/results/bandwidth.json")
	setDefault(fs, "latency", "100ms")
	var sf serverFlags
	sf.register(fs, true)
	cfg := DefaultBandwidthConfig()
	fs.StringVar(&cfg.Play.Mode, "mode", cfg.Play.Mode, "the rooms' game mode")
	fs.IntVar(&cfg.Play.Rooms, "rooms", cfg.Play.Rooms, "rooms")
	fs.IntVar(&cfg.Play.Players, "players", cfg.Play.Players, "players per room")
	fs.Float64Var(&cfg.MaxDeltaBytes, "max-delta-bytes", cfg.MaxDeltaBytes, "the bar: payload bytes per client·s with deltas")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if sf.path == "" {
		fmt.Fprintln(stderr, "bandwidth: -server is required")
		return errUsage
	}
	o, err := c.options(stderr)
	if err != nil {
		return err
	}
	cfg.ServerPath, cfg.ServerArgs, cfg.Options = sf.path, sf.argv(), o
	rep, runErr := RunBandwidth(ctx, cfg)
	return finishRun(rep, runErr, c.jsonPath, stdout)
}

// finishComparison prints and writes a comparison's report even when a
// leg failed (its error is in the report), and returns the worse outcome.
func runResumeCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c := newCommandFlags("resume", stderr)
	setDefault(fs, "window", "5s")
	var sf serverFlags
	sf.register(fs, false)
	var rc ResumeConfig
	fs.IntVar(&rc.N, "n", 500, "bots; each drops its connection once and resumes")
	fs.IntVar(&rc.Players, "players", 50, "bots per room")
	fs.StringVar(&rc.Mode, "mode", DefaultMode, "the rooms' game mode")
	fs.DurationVar(&rc.Spread, "spread", 2*time.Second, "the drops are spread over this much of the window's start (rooms interleaved)")
	fs.BoolVar(&rc.Reset, "rst", false, "drop with an RST (SO_LINGER 0) instead of a FIN")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	o, err := c.options(stderr)
	if err != nil {
		return err
	}
	return withOptionalServer(sf, &o, func() (*Figures, *Verdict, error) {
		return RunResume(ctx, o, rc)
	}, "resume", c.jsonPath, stdout)
}

func runMatchCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c := newCommandFlags("match", stderr)
	var sf serverFlags
	sf.register(fs, false)
	var mc MatchConfig
	fs.Float64Var(&mc.Rate, "rate", 1000, "quick-match joins per second offered (bot g dials at g/rate)")
	fs.DurationVar(&mc.Duration, "duration", 10*time.Second, "how long joins keep coming (without -n)")
	fs.IntVar(&mc.N, "n", 0, "bots (0: -rate × -duration)")
	fs.StringVar(&mc.Mode, "mode", DefaultMode, "the mode to quick-match into")
	fs.IntVar(&mc.Capacity, "capacity", modes.MoversCapacity, "a room's capacity in -mode (movers: "+strconv.Itoa(modes.MoversCapacity)+"), for the rooms expected")
	fs.IntVar(&mc.InputEvery, "input-every", 1, "a bot in a room sends one input every this many ticks")
	fs.Float64Var(&mc.MinRateRatio, "min-rate-ratio", 0.95, "the bar: achieved join rate at least this share of -rate")
	fs.BoolVar(&mc.Away, "away", false, "a bot closes its socket right after its Welcome: the server keeps it as an away player (rooms fill the same) and sends it nothing; with -server, the server gets -resume-grace 2 min")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if mc.Away && sf.path != "" && !strings.Contains(sf.args, "-resume-grace") {
		// Away players must outlast the run to hold their places.
		sf.args = strings.TrimSpace(sf.args + " -resume-grace 2m")
	}
	o, err := c.options(stderr)
	if err != nil {
		return err
	}
	return withOptionalServer(sf, &o, func() (*Figures, *Verdict, error) {
		return RunMatch(ctx, o, mc)
	}, "match", c.jsonPath, stdout)
}

// withOptionalServer runs a scenario against a fresh server when -server
// is given (and against -url otherwise), then prints and writes its report.
func withOptionalServer(sf serverFlags, o *Options, run func() (*Figures, *Verdict, error), name, jsonPath string, stdout io.Writer) error {
	var stop func() error
	if sf.path != "" {
		var err error
		if stop, err = serverRun(sf.path, sf.argv(), o); err != nil {
			return err
		}
	}
	f, v, err := run()
	if stop != nil {
		err = errors.Join(err, stop())
	}
	if f == nil {
		return err
	}
	rep := NewReport(name)
	if sf.path != "" {
		rep.Meta.Set("server", sf.path)
		rep.Meta.Set("server_args", sf.args)
	}
	if err != nil {
		f.Set("error", err.Error())
	}
	rep.Add(name, f)
	rep.AddVerdict(v, f)
	return finishRun(rep, err, jsonPath, stdout)
}
