package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/server"
	"github.com/skirmishgg/skirmish/server/envflag"
)

// DefaultAdminAddr is where the operator's endpoints listen: loopback, so
// that a default install never exposes them.
const DefaultAdminAddr = "127.0.0.1:9090"

// DefaultDrainTimeout is how long a drain lets rooms play on: most
// matches end well within it, and an orchestrator's grace period must
// exceed it (docs/operations.md).
const DefaultDrainTimeout = 10 * time.Minute

// options is the server's configuration, from flags or SKIRMISH_<FLAG>.
type options struct {
	addr, adminAddr   string
	pprof, verbose    bool
	version           bool
	logFormat         string
	drainTimeout      time.Duration
	tickRate          int
	sessionSecret     string
	resumeGrace       time.Duration
	fullSnapshots     bool
	maxConnsPerIPFlag int // 0: no cap
	allowedOrigins    string
	srv               server.Config
	hub               game.HubConfig // the limits and timeouts only
}

// parseOptions reads args and the environment (lookup).
func parseOptions(args []string, lookup func(string) (string, bool)) (*options, *envflag.Set, error) {
	o := &options{}
	fs := envflag.New("skirmish", "SKIRMISH_")
	c := &o.srv
	r := &c.Rates
	fs.StringVar(&o.addr, "addr", server.DefaultAddr, "public listen address: the page, /rooms and /ws")
	fs.StringVar(&o.adminAddr, "admin-addr", DefaultAdminAddr, "operator listen address: /metrics, /healthz, /readyz, POST /drain, /debug/stats (and /debug/pprof/ with -pprof); empty disables; keep it off the public network")
	fs.BoolVar(&o.pprof, "pprof", false, "serve net/http/pprof at /debug/pprof/ on the admin address")
	fs.BoolVar(&o.verbose, "v", false, "log debug events (every close, refused upgrades and resumes)")
	fs.StringVar(&o.logFormat, "log-format", "text", "log line format on stderr: text (key=value) or json")
	fs.DurationVar(&o.drainTimeout, "drain-timeout", DefaultDrainTimeout, "on SIGTERM (or POST /drain on the admin address), how long rooms may play on without new players before every connection is closed; a second SIGTERM ends it at once")
	fs.DurationVar(&c.DrainWarning, "drain-warning", server.DefaultDrainWarning, "how long before the end of a drain the players still connected are told the server restarts")
	fs.BoolVar(&o.version, "version", false, "print the build and exit")
	fs.IntVar(&o.tickRate, "tick-rate", game.DefaultTickRate, "room ticks per second")
	fs.StringVar(&o.sessionSecret, "session-secret", "", "HMAC key of session tokens, at least 32 bytes; random when empty (set it in the environment, not on the command line)")
	fs.Secret("session-secret")
	fs.DurationVar(&o.resumeGrace, "resume-grace", game.DefaultResumeGrace, "how long a disconnected player waits in its room for a resume")
	fs.BoolVar(&o.fullSnapshots, "full-snapshots", false, "send only full snapshots (no deltas), to compare bandwidth")
	fs.StringVar(&o.allowedOrigins, "allowed-origins", "", "comma-separated origins (scheme://host[:port]) whose pages may connect besides the page's own; * for any")

	fs.IntVar(&o.hub.MaxRooms, "max-rooms", game.DefaultMaxRooms, "most rooms open at once; 0 for no cap")
	fs.IntVar(&o.hub.MaxRoomsPerOwner, "max-rooms-per-ip", game.DefaultMaxRoomsPerOwner, "most rooms opened by one IPv4 address or IPv6 /64 open at once; 0 for no cap")
	fs.DurationVar(&o.hub.IdleTimeout, "room-idle-timeout", game.DefaultRoomIdleTimeout, "an empty private or named room closes after this")
	fs.DurationVar(&o.hub.PublicIdleTimeout, "public-room-idle-timeout", game.DefaultPublicRoomIdleTimeout, "an empty public (listed) room closes after this")
	fs.IntVar(&c.MaxConns, "max-conns", server.DefaultMaxConns, "most open connections (WebSocket and HTTP)")
	fs.IntVar(&o.maxConnsPerIPFlag, "max-conns-per-ip", server.DefaultMaxConnsPerIP, "most open connections per IPv4 address or IPv6 /64; 0 for no cap")
	fs.IntVar(&c.MaxHTTPConns, "max-http-conns", server.DefaultMaxHTTPConns, "most HTTP requests served at once")
	fs.DurationVar(&c.HandshakeTimeout, "handshake-timeout", server.DefaultHandshakeTimeout, "time to send a complete HTTP request head")
	fs.DurationVar(&c.HelloTimeout, "hello-timeout", server.DefaultHelloTimeout, "time from the upgrade to the Hello")
	fs.DurationVar(&c.LobbyTimeout, "lobby-timeout", server.DefaultLobbyTimeout, "a connection in no room that sends nothing for this long is closed")
	fs.DurationVar(&c.PingInterval, "ping-interval", server.DefaultPingInterval, "a connection silent this long is pinged")
	fs.DurationVar(&c.PongTimeout, "pong-timeout", server.DefaultPongTimeout, "a pinged connection silent this long is closed")
	fs.DurationVar(&c.RTTInterval, "rtt-interval", server.DefaultRTTInterval, "players in a room are pinged this often to measure their round trip")
	fs.DurationVar(&c.FrameTimeout, "frame-timeout", server.DefaultFrameTimeout, "time to finish a started WebSocket frame")
	fs.DurationVar(&c.WriteStall, "write-stall", server.DefaultWriteStall, "a client that takes no bytes for this long is closed as too slow")
	fs.IntVar(&c.MaxMessageBytes, "max-message-bytes", server.DefaultMaxMessageBytes, "largest client message")
	fs.IntVar(&c.MaxPendingBytes, "max-pending-bytes", server.DefaultMaxPendingBytes, "bytes queued for a slow client before it is closed")
	fs.IntVar(&r.InputRateFactor, "input-rate-factor", server.DefaultInputRateFactor, "inputs per second a player may send, in multiples of its room's tick rate")
	fs.IntVar(&r.InputBurst, "input-burst", server.DefaultInputBurst, "inputs a player may send at once")
	fs.IntVar(&r.MessageRate, "message-rate", server.DefaultMessageRate, "other messages and control frames per second")
	fs.IntVar(&r.MessageBurst, "message-burst", server.DefaultMessageBurst, "other messages and control frames at once")
	fs.IntVar(&r.JoinRate, "join-rate", server.DefaultJoinRate, "Joins per second")
	fs.IntVar(&r.JoinBurst, "join-burst", server.DefaultJoinBurst, "Joins at once")
	fs.IntVar(&r.ByteRate, "byte-rate", server.DefaultByteRate, "bytes per second a client may send")
	fs.IntVar(&r.ByteBurst, "byte-burst", server.DefaultByteBurst, "bytes a client may send at once")
	fs.IntVar(&r.MaxViolations, "max-violations", server.DefaultMaxViolations, "messages over a limit (refilled at one a second) before a client is closed with 1008")

	if err := fs.Parse(args, lookup); err != nil {
		return nil, fs, err
	}
	// A flag's 0 is "no cap"; the configs' 0 is "the default", negative
	// "no cap".
	noCap := func(v *int) {
		if *v == 0 {
			*v = -1
		}
	}
	c.MaxConnsPerIP = o.maxConnsPerIPFlag
	noCap(&c.MaxConnsPerIP)
	noCap(&o.hub.MaxRooms)
	noCap(&o.hub.MaxRoomsPerOwner)
	for _, origin := range strings.Split(o.allowedOrigins, ",") {
		if origin = strings.TrimSpace(origin); origin != "" {
			c.AllowedOrigins = append(c.AllowedOrigins, origin)
		}
	}
	if fs.NArg() > 0 {
		return nil, fs, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if o.logFormat != "text" && o.logFormat != "json" {
		return nil, fs, fmt.Errorf("-log-format %q: want text or json", o.logFormat)
	}
	if o.drainTimeout <= 0 || c.DrainWarning <= 0 {
		return nil, fs, fmt.Errorf("-drain-timeout and -drain-warning must be positive")
	}
	return o, fs, nil
}
