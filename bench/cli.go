package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"runtime"
	"strings"
	"time"
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

// Main is the command line; it returns the process exit status.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) < 1 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "idle", "play", "slow", "churn", "baseline":
		err = runLoadCommand(ctx, cmd, rest, stdout, stderr)
	case "stall":
		err = runStallCommand(ctx, rest, stdout, stderr)
	case "robust":
		err = runRobustCommand(ctx, rest, stdout, stderr)
	case "abuse":
		err = runAbuseCommand(ctx, rest, stdout, stderr)
	case "suite":
		err = runSuiteCommand(ctx, rest, stdout, stderr)
	case "interest":
		err = runInterestCommand(ctx, rest, stdout, stderr)
	case "bandwidth":
		err = runBandwidthCommand(ctx, rest, stdout, stderr)
	case "resume":
		err = runResumeCommand(ctx, rest, stdout, stderr)
	case "match":
		err = runMatchCommand(ctx, rest, stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "skirmish-bots: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, errFailed):
		return 1
	default:
		fmt.Fprintf(stderr, "skirmish-bots %s: %v\n", cmd, err)
		return 1
	}
}

var errUsage = errors.New("usage")

// commonFlags registers the flags every load command shares.
type commonFlags struct {
	url, srcAddrs, jsonPath  string
	latency, warmup, window  time.Duration
	connectTimeout           time.Duration
	serverPID, perProcess    int
	dialConcurrency, workers int
	connectRate              float64
	quiet                    bool
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.url, "url", "ws://127.0.0.1:8080/ws", "server WebSocket URL")
	fs.DurationVar(&c.latency, "latency", 0, "hold every frame a bot sends for this long (simulated network delay)")
	fs.DurationVar(&c.warmup, "warmup", 2*time.Second, "time between all bots connected and the measurement window")
	fs.DurationVar(&c.window, "window", 10*time.Second, "measurement window")
	fs.DurationVar(&c.connectTimeout, "connect-timeout", 60*time.Second, "give up waiting for the bots to connect after this")
	fs.IntVar(&c.serverPID, "server-pid", 0, "pid of a local server: sample its CPU and RSS from /proc")
	fs.IntVar(&c.perProcess, "per-process", 15000, "bots per process; more spawn child processes (fd limit)")
	fs.IntVar(&c.dialConcurrency, "dial-concurrency", 32, "goroutines dialing and upgrading in parallel")
	fs.Float64Var(&c.connectRate, "connect-rate", 0, "new connections per second (0: as fast as possible)")
	fs.IntVar(&c.workers, "workers", runtime.NumCPU(), "reader goroutines per process")
	fs.StringVar(&c.srcAddrs, "src-addrs", "", "comma-separated local addresses to dial from, 25000 bots each (default: 127.0.0.x as needed)")
	fs.StringVar(&c.jsonPath, "json", "", "write the figures as JSON to this file")
	fs.BoolVar(&c.quiet, "quiet", false, "no live progress line")
}

func (c *commonFlags) options(stderr io.Writer) (Options, error) {
	o := Options{
		URL: c.url, Latency: c.latency, Warmup: c.warmup, Window: c.window,
		ConnectTimeout: c.connectTimeout, ServerPID: c.serverPID, PerProcess: c.perProcess,
		DialConcurrency: c.dialConcurrency, ConnectRate: c.connectRate, Workers: c.workers,
	}
	if !c.quiet {
		o.Progress = stderr
	}
	if c.srcAddrs != "" {
		for _, s := range strings.Split(c.srcAddrs, ",") {
			a, err := netip.ParseAddr(strings.TrimSpace(s))
			if err != nil {
				return o, fmt.Errorf("-src-addrs: %w", err)
			}
			o.SourceAddrs = append(o.SourceAddrs, a)
		}
	}
	if c.window <= 0 {
		return o, fmt.Errorf("-window must be positive")
	}
	return o, nil
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected arguments: %v\n", fs.Args())
		return errUsage
	}
	return nil
}

func runLoadCommand(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer) error {
	fs, c := newCommandFlags(cmd, stderr)
	if cmd == "slow" {
		// Long enough for the server to give up on the slow bots: their
		// socket buffers fill, then its 10 s write stall passes.
		setDefault(fs, "window", "25s")
	}
	n := fs.Int("n", 1000, "idle: number of bots")
	rooms := fs.Int("rooms", 20, "play/slow/baseline: rooms; churn: the room pool, connection g joins churn-(g mod rooms) (0: groups of -players)")
	players := fs.Int("players", 50, "play/slow/baseline/churn: players per room")
	validate := fs.Bool("validate", false, "decode every snapshot with the generated code (costs bot CPU)")
	mode := fs.String("mode", DefaultMode, "play/slow/baseline: the rooms' game mode (movers, movers-large, arena); baseline: the Join's mode, and with -url the play run's")
	entities := fs.Bool("entities", false, "play/slow/baseline: count the entities of every snapshot (follows the ids through deltas; a little bot CPU)")
	fraction := fs.Float64("fraction", 0.1, "slow: fraction of the bots that stop reading")
	rcvbuf := fs.Int("rcvbuf", 8192, "slow: SO_RCVBUF of the slow bots (0: kernel default, autotuned; then the kernel buffers absorb minutes of snapshots)")
	refWindow := fs.Duration("ref-window", 10*time.Second, "slow: reference window before the window, with every bot reading")
	gapRise := fs.Duration("gap-rise-max", 5*time.Millisecond, "slow: the bar on the readers' gap p99 rise")
	gapStat := fs.String("gap-stat", GapStatMedian, "slow: what the bar compares, "+GapStatMedian+" (the median over each window's seconds of the p99 in that second) or "+GapStatWindow+" (each whole window's p99)")
	snapBytes := fs.Int("snapshot-bytes", 0, "baseline: snapshot payload bytes as bots see them (0: computed for -players)")
	rate := fs.Float64("rate", 100, "churn: new connections per second")
	duration := fs.Duration("duration", 10*time.Second, "churn: how long new connections keep coming (without -total)")
	total := fs.Int("total", 0, "churn: connect/join/leave cycles to run (sets the connections and the duration; 0: -rate × -duration × -cycles)")
	warmupCycles := fs.Int("warmup-cycles", -1, "churn: cycles run first, after which the start level is read (-1: total/20)")
	hold := fs.Duration("hold", 500*time.Millisecond, "churn: time in the room per join")
	cycles := fs.Int("cycles", 2, "churn: join/leave cycles per connection")
	settle := fs.Duration("settle", time.Second, "churn: wait this long after the bots left before reading the server's level again")
	roomWait := fs.Duration("room-wait", 0, "churn: then wait up to this long for the rooms to close (30 s after empty) and compare with the cold level too")
	tolerance := fs.Float64("tolerance", 0.10, "churn: the bar, goroutines, fds and RSS within ±this fraction of the start level")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	urlSet := false
	fs.Visit(func(f *flag.Flag) { urlSet = urlSet || f.Name == "url" })
	o, err := c.options(stderr)
	if err != nil {
		return err
	}
	rep := NewReport(cmd)
	pc := PlayConfig{Rooms: *rooms, Players: *players, Validate: *validate, Mode: *mode, TrackEntities: *entities}
	if (pc.Rooms <= 0 && cmd != "churn") || pc.Rooms < 0 || pc.Players <= 0 {
		return fmt.Errorf("-rooms and -players must be positive")
	}
	switch cmd {
	case "idle":
		f, _, err := RunIdle(ctx, o, *n)
		if err != nil {
			return err
		}
		rep.Add("idle", f)
	case "play":
		f, _, err := RunPlay(ctx, o, pc, "play")
		if err != nil {
			return err
		}
		rep.Add("play", f)
	case "slow":
		pc.SlowFraction = *fraction
		pc.SlowRcvBuf = *rcvbuf
		f, v, err := RunSlow(ctx, o, SlowConfig{Play: pc, RefWindow: *refWindow, GapRiseMax: *gapRise, GapStat: *gapStat})
		if err != nil {
			return err
		}
		rep.Add("slow", f)
		rep.AddVerdict(v, f)
	case "churn":
		f, v, _, err := RunChurn(ctx, o, ChurnConfig{Rate: *rate, Duration: *duration, Total: *total, WarmupCycles: *warmupCycles,
			Hold: *hold, Cycles: *cycles, Rooms: *rooms, Players: *players, Settle: *settle, RoomWait: *roomWait, Tolerance: *tolerance})
		if err != nil {
			return err
		}
		rep.Add("churn", f)
		rep.AddVerdict(v, f)
	case "baseline":
		br := BaselineRun{Play: pc, SnapshotBytes: *snapBytes}
		var play *Figures
		if urlSet {
			if play, _, err = RunPlay(ctx, o, pc, "play"); err != nil {
				return err
			}
			rep.Add("play", play)
			if br.SnapshotBytes == 0 {
				br.SnapshotBytes = int(play.Float("snapshot_bytes_mean") + 0.5)
			}
		}
		bo := o
		bo.ServerPID = 0
		base, _, err := RunBaseline(ctx, bo, br)
		if err != nil {
			return err
		}
		rep.Add("baseline", base)
		if play != nil {
			CompareToBaseline(play, base)
		}
	}
	return finish(rep, c.jsonPath, stdout)
}

// finish prints the table (and pass lines), writes the JSON, and returns
// errFailed when a verdict failed.
func finish(rep *Report, jsonPath string, stdout io.Writer) error {
	if len(rep.Verdicts) > 0 {
		rep.Meta.Set("pass", rep.Pass())
	}
	if err := rep.WriteTable(stdout); err != nil {
		return err
	}
	if jsonPath != "" {
		if err := rep.WriteJSON(jsonPath); err != nil {
			return err
		}
	}
	if !rep.Pass() {
		return errFailed
	}
	return nil
}

// newCommandFlags returns a subcommand's flag set with the flags every
// load command shares already registered.
func newCommandFlags(name string, stderr io.Writer) (*flag.FlagSet, *commonFlags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &commonFlags{}
	c.register(fs)
	return fs, c
}

// finishRun finishes the report of a run that may itself have failed
// (runErr): the run's error wins over a failed pass line, and a failure to
// write the report is joined to it.
func finishRun(rep *Report, runErr error, jsonPath string, stdout io.Writer) error {
	if rep == nil {
		return runErr
	}
	err := finish(rep, jsonPath, stdout)
	switch {
	case err == nil:
		return runErr
	case runErr == nil:
		return err
	case errors.Is(err, errFailed):
		return runErr
	}
	return errors.Join(runErr, err)
}

// setDefault changes a registered flag's default (value and help).
func setDefault(fs *flag.FlagSet, name, value string) {
	f := fs.Lookup(name)
	f.DefValue = value
	if err := f.Value.Set(value); err != nil {
		panic(err) // static defaults
	}
}

func runAbuseCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("abuse", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "ws://127.0.0.1:8080/ws", "server WebSocket URL")
	hang := fs.Duration("hang", 15*time.Second, "how long to wait for the server to give up on half frames and half upgrades")
	quick := fs.Duration("quick", 3*time.Second, "how long to watch the answer to the other cases")
	only := fs.String("only", "", "comma-separated case names (default: all)")
	jsonPath := fs.String("json", "", "write the results as JSON to this file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg := AbuseConfig{URL: *url, Hang: *hang, Quick: *quick}
	if *only != "" {
		cfg.Only = strings.Split(*only, ",")
	}
	results, err := RunAbuse(ctx, cfg)
	if err != nil {
		return err
	}
	rep := NewReport("abuse")
	rep.Abuse = results
	return finish(rep, *jsonPath, stdout)
}

func runSuiteCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c := newCommandFlags("suite", stderr)
	server := fs.String("server", "", "path to a built server binary (required)")
	idleN := fs.Int("idle-n", 10000, "idle bots")
	idleWarmup := fs.Duration("idle-warmup", time.Second, "idle: warmup")
	idleWindow := fs.Duration("idle-window", 3*time.Second, "idle: window")
	rooms := fs.Int("rooms", 20, "play: rooms")
	players := fs.Int("players", 50, "play: players per room")
	oneServer := fs.Bool("one-server", false, "run every scenario against one server process (default: a fresh one each)")
	fs.Lookup("json").DefValue = "bench/results/latest.json"
	c.jsonPath = "bench/results/latest.json"
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *server == "" {
		fmt.Fprintln(stderr, "suite: -server is required")
		return errUsage
	}
	o, err := c.options(stderr)
	if err != nil {
		return err
	}
	rep, runErr := RunSuite(ctx, SuiteConfig{
		ServerPath: *server, IdleN: *idleN,
		Play:       PlayConfig{Rooms: *rooms, Players: *players},
		IdleWarmup: *idleWarmup, IdleWindow: *idleWindow, Options: o, OneServer: *oneServer,
	})
	return finishRun(rep, runErr, c.jsonPath, stdout)
}

func runStallCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c := newCommandFlags("stall", stderr)
	// -warmup and -window are the legitimate bots': they play while every
	// peer still stalls, so both must end well before the handshake timeout.
	setDefault(fs, "warmup", "200ms")
	setDefault(fs, "window", "1s")
	var sc StallConfig
	fs.IntVar(&sc.N, "n", 5000, "stalled peers: half send half an upgrade request, half half a frame after Hello")
	fs.IntVar(&sc.Legit, "legit", 200, "legitimate bots that connect, Hello and Join while the peers stall")
	fs.IntVar(&sc.LegitPlayers, "players", 50, "legitimate bots per room (movers)")
	fs.DurationVar(&sc.HandshakeTimeout, "handshake-timeout", 5*time.Second, "the server's -handshake-timeout")
	fs.DurationVar(&sc.FrameTimeout, "frame-timeout", 10*time.Second, "the server's -frame-timeout")
	fs.DurationVar(&sc.Grace, "grace", time.Second, "the bar: a stalled peer closed at most this long after its deadline")
	fs.DurationVar(&sc.JoinP99Max, "join-p99-max", 100*time.Millisecond, "the bar on the legitimate bots' join p99")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	o, err := c.options(stderr)
	if err != nil {
		return err
	}
	sc.LegitWarmup, sc.LegitWindow = o.Warmup, o.Window
	f, v, err := RunStall(ctx, o, sc)
	if err != nil {
		return err
	}
	rep := NewReport("stall")
	rep.Add("stall", f)
	rep.AddVerdict(v, f)
	return finish(rep, c.jsonPath, stdout)
}

func runRobustCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c := newCommandFlags("robust", stderr)
	setDefault(fs, "json", "bench/results/robustness.json")
	setDefault(fs, "window", "25s")
	cfg := DefaultRobustConfig()
	fs.StringVar(&cfg.ServerPath, "server", "", "path to a built server binary (required)")
	only := fs.String("only", "", "comma-separated scenarios among stall,churn,slow (default: all)")
	fs.IntVar(&cfg.Stall.N, "stall-n", cfg.Stall.N, "stall: stalled peers")
	fs.IntVar(&cfg.Stall.Legit, "legit", cfg.Stall.Legit, "stall: legitimate bots")
	fs.DurationVar(&cfg.Stall.HandshakeTimeout, "handshake-timeout", cfg.Stall.HandshakeTimeout, "the server's -handshake-timeout (passed to it)")
	fs.DurationVar(&cfg.Stall.FrameTimeout, "frame-timeout", cfg.Stall.FrameTimeout, "the server's -frame-timeout (passed to it)")
	fs.IntVar(&cfg.Churn.Total, "churn-total", cfg.Churn.Total, "churn: connect/join/leave cycles")
	fs.Float64Var(&cfg.Churn.Rate, "churn-rate", cfg.Churn.Rate, "churn: new connections per second")
	fs.IntVar(&cfg.Churn.Cycles, "churn-cycles", cfg.Churn.Cycles, "churn: cycles per connection")
	fs.DurationVar(&cfg.Churn.Hold, "churn-hold", cfg.Churn.Hold, "churn: time in the room per join")
	fs.IntVar(&cfg.Churn.Rooms, "churn-rooms", cfg.Churn.Rooms, "churn: room pool")
	fs.IntVar(&cfg.Churn.WarmupCycles, "warmup-cycles", cfg.Churn.WarmupCycles, "churn: cycles before the start level is read (-1: total/20)")
	fs.DurationVar(&cfg.Churn.RoomWait, "room-wait", cfg.Churn.RoomWait, "churn: wait up to this long for the rooms to close, then compare with the cold level (0: skip)")
	fs.IntVar(&cfg.Slow.Play.Rooms, "rooms", cfg.Slow.Play.Rooms, "slow: rooms")
	fs.IntVar(&cfg.Slow.Play.Players, "players", cfg.Slow.Play.Players, "slow: players per room")
	fs.Float64Var(&cfg.Slow.Play.SlowFraction, "fraction", cfg.Slow.Play.SlowFraction, "slow: fraction of the bots that stop reading")
	fs.DurationVar(&cfg.Slow.RefWindow, "ref-window", cfg.Slow.RefWindow, "slow: reference window (the window is -window)")
	fs.StringVar(&cfg.Slow.GapStat, "gap-stat", GapStatMedian, "slow: what the gap bar compares, "+GapStatMedian+" or "+GapStatWindow)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if cfg.ServerPath == "" {
		fmt.Fprintln(stderr, "robust: -server is required")
		return errUsage
	}
	if *only != "" {
		cfg.Only = strings.Split(*only, ",")
		for _, s := range cfg.Only {
			if s != "stall" && s != "churn" && s != "slow" {
				fmt.Fprintf(stderr, "robust: -only: unknown scenario %q\n", s)
				return errUsage
			}
		}
	}
	o, err := c.options(stderr)
	if err != nil {
		return err
	}
	cfg.Options = o
	rep, runErr := RunRobust(ctx, cfg)
	return finishRun(rep, runErr, c.jsonPath, stdout)
}
