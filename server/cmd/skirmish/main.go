// Command skirmish runs the Skirmish game server: the web client at /, the
// room listing at /rooms and the game at /ws on one public port, and the
// operator's endpoints (metrics, health, drain) on an admin port
// (loopback by default). Every flag can also be set in the environment as
// SKIRMISH_<FLAG> (skirmish -h).
//
// SIGTERM drains: no new players, rooms play on until they empty or
// -drain-timeout passes, then every connection is closed with 1001 and
// the process exits 0. A second SIGTERM ends the drain at once. SIGINT
// (Ctrl-C) stops at once.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"syscall"
	"time"

	clientweb "github.com/skirmishgg/skirmish/client-web"
	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/modes"
	"github.com/skirmishgg/skirmish/server"
)

// closeGrace is how long clients get to answer the close frames sent on
// shutdown: a round trip. One that does not answer has its connection
// closed anyway; it has the close frame already.
const closeGrace = 500 * time.Millisecond

// version and commit name the build; make build sets them with
// -ldflags "-X main.version=... -X main.commit=...". Without them, the
// commit comes from the Go build's VCS stamp, when it has one.
var (
	version = "dev"
	commit  = ""
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "skirmish:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	o, fs, err := parseOptions(args, os.LookupEnv)
	if err != nil {
		return err
	}
	build := buildInfo()
	if o.version {
		fmt.Fprintf(stdout, "skirmish %s (%s, commit %s)\n", build.Version, goVersion(), build.Commit)
		return nil
	}
	// From here on a signal drains or stops: one that comes before the
	// server serves must not kill the process half set up.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	log := newLogger(stderr, o.logFormat, o.verbose)
	log.LogAttrs(context.Background(), slog.LevelInfo, "configuration",
		append([]slog.Attr{slog.String("build", build.Version), slog.String("commit", build.Commit)}, fs.Effective()...)...)

	sessions, err := server.NewSessions([]byte(o.sessionSecret))
	if err != nil {
		return fmt.Errorf("session secret: %w", err)
	}
	rooms := server.NewRoomObserver(log)
	hc := o.hub
	hc.Modes, hc.DefaultMode = modes.Shipped(), modes.Default
	hc.TickRate, hc.ResumeGrace, hc.FullSnapshots = o.tickRate, o.resumeGrace, o.fullSnapshots
	hc.NewLink, hc.Sessions, hc.Observer, hc.Logger = server.NewLink, sessions, rooms, log
	rooms.Modes(slices.Sorted(maps.Keys(hc.Modes))...)
	hub := game.NewHub(hc)
	defer hub.Close()

	cfg := o.srv
	cfg.Hub = hub
	cfg.Handler = clientweb.Handler()
	cfg.Rooms = rooms
	cfg.Build = build
	cfg.Logger = log
	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	fmt.Fprintf(stdout, "skirmish: serving %s\n", pageURL(ln.Addr().(*net.TCPAddr)))

	errs := make(chan error, 2)
	var admin *http.Server
	if o.adminAddr != "" {
		aln, err := net.Listen("tcp", o.adminAddr)
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("admin listen: %w", err)
		}
		fmt.Fprintf(stdout, "skirmish: admin %s\n", pageURL(aln.Addr().(*net.TCPAddr)))
		admin = &http.Server{
			Handler:           srv.AdminHandler(o.pprof),
			ReadHeaderTimeout: 5 * time.Second,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		}
		go func() {
			if err := admin.Serve(aln); !errors.Is(err, http.ErrServerClosed) {
				errs <- fmt.Errorf("admin: %w", err)
			}
		}()
	}

	go func() {
		if err := srv.Serve(ln); err != nil {
			errs <- err
		}
	}()
	var runErr error
	select {
	case runErr = <-errs:
		log.Error("stopping after an error", "err", runErr)
	case sig := <-sigs:
		if sig == syscall.SIGTERM {
			drain(log, srv, o.drainTimeout, sigs)
		} else {
			log.Info("interrupted: stopping now")
			stopNow(srv)
		}
	case <-srv.Draining(): // POST /drain
		drain(log, srv, o.drainTimeout, sigs)
	}
	// Every way out closes the players' connections with 1001.
	ctx, cancel := context.WithTimeout(context.Background(), closeGrace)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && runErr == nil {
		runErr = err
	}
	if admin != nil {
		_ = admin.Shutdown(ctx)
	}
	log.Info("stopped")
	return runErr
}

// drain runs the server's drain until the rooms empty, timeout passes or
// a second signal comes.
func drain(log *slog.Logger, srv *server.Server, timeout time.Duration, sigs <-chan os.Signal) {
	log.Info("draining", "timeout", timeout)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	go func() {
		select {
		case sig := <-sigs:
			log.Info("second signal: ending the drain now", "signal", sig.String())
			cancel()
		case <-ctx.Done():
		}
	}()
	_ = srv.Drain(ctx) // it logs how it ended
}

// stopNow tells the players the server restarts now; Shutdown follows.
func stopNow(srv *server.Server) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = srv.Drain(ctx)
}

// newLogger logs to w in format (text or json), at Debug with verbose.
func newLogger(w io.Writer, format string, verbose bool) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if verbose {
		opts.Level = slog.LevelDebug
	}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// pageURL is the address to open in a browser.
func pageURL(a *net.TCPAddr) string {
	host := a.IP.String()
	if a.IP.IsUnspecified() {
		host = "localhost"
	}
	return fmt.Sprintf("http://%s/", net.JoinHostPort(host, fmt.Sprint(a.Port)))
}

// buildInfo names this build: the version and commit set at link time,
// else the commit from Go's VCS stamp (with "-dirty" for a modified tree).
func buildInfo() server.BuildInfo {
	b := server.BuildInfo{Version: version, Commit: commit}
	if b.Commit != "" {
		return b
	}
	b.Commit = "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev string
		var dirty bool
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			b.Commit = rev
			if dirty {
				b.Commit += "-dirty"
			}
		}
	}
	return b
}

func goVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		return bi.GoVersion
	}
	return "unknown"
}
