// Command skirmish runs the Skirmish game server: the web client at /, the
// game at /ws, counters at /debug/stats, all on one port.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
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

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "skirmish:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", envOr("SKIRMISH_ADDR", server.DefaultAddr), "listen address (env SKIRMISH_ADDR)")
	tickRate := flag.Int("tick-rate", game.DefaultTickRate, "room ticks per second")
	maxConns := flag.Int("max-conns", server.DefaultMaxConns, "most open connections")
	handshakeTimeout := flag.Duration("handshake-timeout", server.DefaultHandshakeTimeout, "time to send a complete upgrade request")
	frameTimeout := flag.Duration("frame-timeout", server.DefaultFrameTimeout, "time to finish a started WebSocket frame")
	secret := flag.String("session-secret", os.Getenv("SKIRMISH_SESSION_SECRET"), "HMAC key of session tokens (env SKIRMISH_SESSION_SECRET; random when empty)")
	resumeGrace := flag.Duration("resume-grace", game.DefaultResumeGrace, "how long a disconnected player waits in its room for a resume")
	fullSnapshots := flag.Bool("full-snapshots", false, "send only full snapshots (no deltas), to compare bandwidth")
	verbose := flag.Bool("v", false, "log debug events (every close, refused upgrade)")
	pprofOn := flag.Bool("pprof", false, "serve net/http/pprof at /debug/pprof/ (for profiling; keep it off in public)")
	flag.Parse()

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	sessions, err := server.NewSessions([]byte(*secret))
	if err != nil {
		return err
	}
	hub := game.NewHub(game.HubConfig{
		Modes:         modes.Shipped(),
		DefaultMode:   modes.Default,
		TickRate:      *tickRate,
		Broadcaster:   server.Broadcaster{},
		FullSnapshots: *fullSnapshots,
		Sessions:      sessions,
		ResumeGrace:   *resumeGrace,
		Logger:        log,
	})
	defer hub.Close()

	handler := http.NewServeMux()
	handler.Handle("/", clientweb.Handler())
	if *pprofOn {
		handler.HandleFunc("/debug/pprof/", pprof.Index)
		handler.HandleFunc("/debug/pprof/profile", pprof.Profile)
		handler.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		handler.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	srv, err := server.New(server.Config{
		Hub:              hub,
		Handler:          handler,
		MaxConns:         *maxConns,
		HandshakeTimeout: *handshakeTimeout,
		FrameTimeout:     *frameTimeout,
		Logger:           log,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	fmt.Printf("skirmish: serving %s\n", pageURL(ln.Addr().(*net.TCPAddr)))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case err := <-serveErr:
		if err != nil && !errors.Is(err, net.ErrClosed) {
			return err
		}
	case <-ctx.Done():
		log.Info("shutting down")
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// pageURL is the address to open in a browser.
func pageURL(a *net.TCPAddr) string {
	host := a.IP.String()
	if a.IP.IsUnspecified() {
		host = "localhost"
	}
	return fmt.Sprintf("http://%s/", net.JoinHostPort(host, fmt.Sprint(a.Port)))
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
