// Command skirmish runs the Skirmish game server: the web client at /, the
// room listing at /rooms and the game at /ws on one public port, and the
// operator's endpoints on an admin port (loopback by default). Every flag
// can also be set in the environment as SKIRMISH_<FLAG> (skirmish -h).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	clientweb "github.com/skirmishgg/skirmish/client-web"
	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/modes"
	"github.com/skirmishgg/skirmish/server"
)

// shutdownGrace is how long clients get to answer the close frames sent
// on shutdown.
const shutdownGrace = 3 * time.Second

// version is the release, set at build time with
// -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "skirmish:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	o, fs, err := parseOptions(args, os.LookupEnv)
	if err != nil {
		return err
	}
	if o.version {
		fmt.Println(buildInfo())
		return nil
	}
	level := slog.LevelInfo
	if o.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	log.LogAttrs(context.Background(), slog.LevelInfo, "configuration", fs.Effective()...)

	sessions, err := server.NewSessions([]byte(o.sessionSecret))
	if err != nil {
		return fmt.Errorf("session secret: %w", err)
	}
	hc := o.hub
	hc.Modes, hc.DefaultMode = modes.Shipped(), modes.Default
	hc.TickRate, hc.ResumeGrace, hc.FullSnapshots = o.tickRate, o.resumeGrace, o.fullSnapshots
	hc.NewLink, hc.Sessions, hc.Logger = server.NewLink, sessions, log
	hub := game.NewHub(hc)
	defer hub.Close()

	cfg := o.srv
	cfg.Hub = hub
	cfg.Handler = clientweb.Handler()
	cfg.Logger = log
	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	fmt.Printf("skirmish: serving %s\n", pageURL(ln.Addr().(*net.TCPAddr)))

	errs := make(chan error, 2)
	var admin *http.Server
	if o.adminAddr != "" {
		aln, err := net.Listen("tcp", o.adminAddr)
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("admin listen: %w", err)
		}
		fmt.Printf("skirmish: admin %s\n", pageURL(aln.Addr().(*net.TCPAddr)))
		admin = &http.Server{Handler: srv.AdminHandler(o.pprof), ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := admin.Serve(aln); !errors.Is(err, http.ErrServerClosed) {
				errs <- fmt.Errorf("admin: %w", err)
			}
		}()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		if err := srv.Serve(ln); err != nil {
			errs <- err
		}
	}()
	var runErr error
	select {
	case runErr = <-errs:
		log.Error("stopping after an error", "err", runErr)
	case <-ctx.Done():
		log.Info("shutting down")
	}
	// Every way out closes the players' connections with 1001.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if admin != nil {
		_ = admin.Shutdown(shutdownCtx)
	}
	if err := srv.Shutdown(shutdownCtx); err != nil && runErr == nil {
		runErr = err
	}
	return runErr
}

// pageURL is the address to open in a browser.
func pageURL(a *net.TCPAddr) string {
	host := a.IP.String()
	if a.IP.IsUnspecified() {
		host = "localhost"
	}
	return fmt.Sprintf("http://%s/", net.JoinHostPort(host, fmt.Sprint(a.Port)))
}

// buildInfo describes the binary: version, Go version and commit.
func buildInfo() string {
	commit, goVersion := "unknown", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				commit = s.Value
			}
		}
	}
	return fmt.Sprintf("skirmish %s (%s, commit %s)", version, goVersion, commit)
}
