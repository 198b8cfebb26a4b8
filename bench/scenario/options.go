package scenario

import (
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/skirmishgg/skirmish/bench/botnet"
	"github.com/skirmishgg/skirmish/bench/measure"
	"github.com/skirmishgg/skirmish/game/movers"
)

// Options are the settings every load scenario shares.
type Options struct {
	URL string
	// AdminURL is the server's admin listener (http://HOST:PORT/), where
	// /debug/stats is; "" when the run has none.
	AdminURL        string
	Latency         time.Duration
	Warmup          time.Duration
	Window          time.Duration
	ConnectTimeout  time.Duration
	ServerPID       int
	PerProcess      int
	DialConcurrency int
	ConnectRate     float64
	Workers         int
	SourceAddrs     []netip.Addr
	Progress        io.Writer
}

// ShardSpec is the bots' spec for count bots doing w.
func (o Options) ShardSpec(w botnet.Workload, count int) botnet.ShardSpec {
	return botnet.ShardSpec{
		URL:             o.URL,
		Workload:        w,
		Count:           count,
		Latency:         o.Latency,
		DialConcurrency: o.DialConcurrency,
		ConnectRate:     o.ConnectRate,
		Workers:         o.Workers,
		SourceAddrs:     o.SourceAddrs,
	}
}

// RunConfig is a run of spec with these options.
func (o Options) RunConfig(label string, spec botnet.ShardSpec) botnet.RunConfig {
	statsURL := o.StatsURL()
	return botnet.RunConfig{
		Label:          label,
		Spec:           spec,
		PerProcess:     o.PerProcess,
		ConnectTimeout: o.ConnectTimeout,
		Warmup:         o.Warmup,
		Window:         o.Window,
		ServerPID:      o.ServerPID,
		StatsURL:       statsURL,
		Progress:       o.Progress,
	}
}

// StatsURL is the server's /debug/stats on its admin listener ("" when
// the run knows none).
func (o Options) StatsURL() string {
	u, err := measure.StatsURL(o.AdminURL)
	if err != nil {
		return ""
	}
	return u
}

// LoadFlags are the flags every load command shares.
type LoadFlags struct {
	fs                       *flag.FlagSet
	url, adminURL, srcAddrs  string
	latency, warmup, window  time.Duration
	connectTimeout           time.Duration
	serverPID, perProcess    int
	dialConcurrency, workers int
	connectRate              float64
	quiet                    bool
}

// Register adds the flags to fs.
func (l *LoadFlags) Register(fs *flag.FlagSet) {
	l.fs = fs
	fs.StringVar(&l.url, "url", "ws://127.0.0.1:8080/ws", "server WebSocket URL")
	fs.StringVar(&l.adminURL, "admin-url", os.Getenv("SKIRMISH_ADMIN_URL"), "the server's admin listener, for its /debug/stats (env SKIRMISH_ADMIN_URL; with -server the bots know it; without, server figures are left out)")
	fs.DurationVar(&l.latency, "latency", 0, "hold every frame a bot sends for this long (simulated network delay)")
	fs.DurationVar(&l.warmup, "warmup", 2*time.Second, "time between all bots connected and the measurement window")
	fs.DurationVar(&l.window, "window", 10*time.Second, "measurement window")
	fs.DurationVar(&l.connectTimeout, "connect-timeout", 60*time.Second, "give up waiting for the bots to connect after this")
	fs.IntVar(&l.serverPID, "server-pid", 0, "pid of a local server: sample its CPU and RSS from /proc")
	fs.IntVar(&l.perProcess, "per-process", 15000, "bots per process; more spawn child processes (fd limit)")
	fs.IntVar(&l.dialConcurrency, "dial-concurrency", 32, "goroutines dialing and upgrading in parallel")
	fs.Float64Var(&l.connectRate, "connect-rate", 0, "new connections per second (0: as fast as possible)")
	fs.IntVar(&l.workers, "workers", runtime.NumCPU(), "reader goroutines per process")
	fs.StringVar(&l.srcAddrs, "src-addrs", "", "comma-separated local addresses to dial from, 25000 bots each (default: 127.0.0.x as needed)")
	fs.BoolVar(&l.quiet, "quiet", false, "no live progress line")
}

// urlGiven reports whether -url was on the command line.
func (l *LoadFlags) urlGiven() bool {
	given := false
	l.fs.Visit(func(f *flag.Flag) { given = given || f.Name == "url" })
	return given
}

// Options are the settings the flags make, with env's progress writer
// unless -quiet.
func (l *LoadFlags) Options(env Env) (Options, error) {
	o := Options{
		URL: l.url, AdminURL: l.adminURL, Latency: l.latency, Warmup: l.warmup, Window: l.window,
		ConnectTimeout: l.connectTimeout, ServerPID: l.serverPID, PerProcess: l.perProcess,
		DialConcurrency: l.dialConcurrency, ConnectRate: l.connectRate, Workers: l.workers,
	}
	if !l.quiet {
		o.Progress = env.Progress
	}
	if l.srcAddrs != "" {
		for _, s := range strings.Split(l.srcAddrs, ",") {
			a, err := netip.ParseAddr(strings.TrimSpace(s))
			if err != nil {
				return o, fmt.Errorf("-src-addrs: %w", err)
			}
			o.SourceAddrs = append(o.SourceAddrs, a)
		}
	}
	if l.window <= 0 {
		return o, fmt.Errorf("-window must be positive")
	}
	return o, nil
}

// SetDefault changes a registered flag's default (value and help).
func SetDefault(fs *flag.FlagSet, name, value string) {
	f := fs.Lookup(name)
	f.DefValue = value
	if err := f.Value.Set(value); err != nil {
		panic(err) // static defaults
	}
}

// defaultMode is the load scenarios' game mode.
const defaultMode = movers.Name

// PlayConfig shapes the play load (and the slow and baseline ones).
type PlayConfig struct {
	Rooms, Players int
	// Mode is the rooms' game mode (default movers).
	Mode         string
	SlowFraction float64
	SlowRcvBuf   int
	Validate     bool
	// TrackEntities counts the entities in every snapshot (see
	// botnet.ShardSpec.TrackEntities).
	TrackEntities bool
}

// RegisterPlay adds the flags of the play load's shape to fs.
func (pc *PlayConfig) RegisterPlay(fs *flag.FlagSet) {
	fs.IntVar(&pc.Rooms, "rooms", 20, "rooms")
	fs.IntVar(&pc.Players, "players", 50, "players per room")
	fs.StringVar(&pc.Mode, "mode", defaultMode, "the rooms' game mode (movers, movers-large, arena)")
	fs.BoolVar(&pc.Validate, "validate", false, "decode every snapshot with the generated code (costs bot CPU)")
	fs.BoolVar(&pc.TrackEntities, "entities", false, "count the entities of every snapshot (follows the ids through deltas; a little bot CPU)")
}

// check refuses a shape without bots.
func (pc PlayConfig) check() error {
	if pc.Rooms <= 0 || pc.Players <= 0 {
		return fmt.Errorf("-rooms and -players must be positive")
	}
	return nil
}
