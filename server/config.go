package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/skirmishgg/skirmish/game"
)

// Defaults and hard limits of the network core.
const (
	DefaultAddr   = ":8080"
	DefaultWSPath = "/ws"
	// DefaultMaxConns leaves room under the process's 20,000 fds for the
	// listener, epoll, logs and HTTP.
	DefaultMaxConns = 19500
	// DefaultMaxConnsPerIP lets a household or an office behind one
	// address play together, and keeps one host from taking every slot.
	DefaultMaxConnsPerIP = 64
	// DefaultMaxHTTPConns bounds page and listing requests in flight; each
	// costs a goroutine in net/http.
	DefaultMaxHTTPConns     = 512
	DefaultHandshakeTimeout = 5 * time.Second
	// DefaultHelloTimeout is how long an upgraded connection may stay
	// silent before its Hello.
	DefaultHelloTimeout = 5 * time.Second
	// DefaultLobbyTimeout closes a connection that sits in the lobby (Hello
	// done, no room) without sending a message for this long.
	DefaultLobbyTimeout = 2 * time.Minute
	// DefaultPingInterval: a connection silent this long gets a WebSocket
	// ping; DefaultPongTimeout later without a byte from it, it is closed.
	DefaultPingInterval = 30 * time.Second
	DefaultPongTimeout  = 15 * time.Second
	// DefaultRTTInterval: players in a room are pinged this often, so the
	// server knows their round trip (it caps lag compensation).
	DefaultRTTInterval = 5 * time.Second
	// DefaultTCPUserTimeout lets the kernel give up on a peer that stopped
	// acknowledging what we sent (it vanished without a FIN).
	DefaultTCPUserTimeout  = 30 * time.Second
	DefaultFrameTimeout    = 10 * time.Second
	DefaultCloseTimeout    = 2 * time.Second
	DefaultWriteStall      = 10 * time.Second
	DefaultMaxMessageBytes = 4096
	DefaultMaxPendingBytes = 64 << 10
	// DefaultSendBuffer caps each socket's kernel send buffer. Left to
	// autotuning, the kernel buffers megabytes for a peer that does not
	// read, which hides it from the stall check for minutes.
	DefaultSendBuffer = 64 << 10
	// HTTP timeouts of the page server: a client that sends its request or
	// reads the answer slower than this is cut off.
	DefaultHTTPReadTimeout  = 10 * time.Second
	DefaultHTTPWriteTimeout = 30 * time.Second
	// DefaultDrainWarning is how long before a drain's deadline the
	// players still connected are told that the server restarts: enough
	// for a client to say so before the close.
	DefaultDrainWarning = 5 * time.Second
	// DefaultStallTimeout: a room's loop busy in one turn, a worker busy
	// with one connection, or a deadline wheel silent for this long is
	// stuck, and /healthz fails. A turn takes milliseconds; this leaves
	// room for a long GC pause or a starved machine.
	DefaultStallTimeout = 10 * time.Second

	// maxHeadBytes bounds an HTTP request head read before routing it.
	maxHeadBytes = 8 << 10
	// readBufferSize is each worker's read buffer; connections own none.
	readBufferSize = 64 << 10
	// maxReadsPerTurn is a connection's read budget each time a worker
	// takes it; one with more to read goes to the back of the queue, so
	// no peer holds a worker while others wait.
	maxReadsPerTurn = 2
	// httpBacklog bounds plain HTTP connections waiting for net/http.
	httpBacklog = 128
)

// Config configures a Server. Zero values pick the defaults above.
type Config struct {
	// Hub places players in rooms. Required.
	Hub *game.Hub
	// Handler serves every request that is not a WebSocket upgrade on
	// WSPath (the web client; the server adds GET /rooms).
	Handler http.Handler
	// WSPath is the path of the WebSocket endpoint.
	WSPath string
	// AllowedOrigins are the origins (scheme://host[:port]) whose pages
	// may open game connections besides the page's own (the request's
	// Host); "*" allows any. Clients that send no Origin (not browsers)
	// are always allowed.
	AllowedOrigins []string
	// MaxConns bounds open connections, WebSocket and HTTP; more are
	// closed at accept. The process needs one fd per connection.
	MaxConns int
	// MaxConnsPerIP bounds the connections of one IPv4 address or IPv6
	// /64; negative means no bound (load tests from one address).
	MaxConnsPerIP int
	// MaxHTTPConns bounds HTTP requests being served at once.
	MaxHTTPConns int
	// HandshakeTimeout is how long a peer has to send a complete HTTP
	// request head after connecting.
	HandshakeTimeout time.Duration
	// HelloTimeout is how long after the upgrade the Hello may take.
	HelloTimeout time.Duration
	// LobbyTimeout closes a connection with no room that sends nothing
	// for this long.
	LobbyTimeout time.Duration
	// PingInterval, PongTimeout and RTTInterval: see the defaults.
	PingInterval, PongTimeout, RTTInterval time.Duration
	// TCPUserTimeout is the socket's TCP_USER_TIMEOUT; negative leaves the
	// kernel's.
	TCPUserTimeout time.Duration
	// FrameTimeout is how long a WebSocket frame may stay incomplete.
	FrameTimeout time.Duration
	// CloseTimeout is how long to wait for the peer's close frame after
	// sending ours.
	CloseTimeout time.Duration
	// WriteStall is how long a connection may keep unsent bytes before it
	// is closed as too slow.
	WriteStall time.Duration
	// MaxMessageBytes bounds a client message (all fragments); larger
	// closes the connection with 1009.
	MaxMessageBytes int
	// MaxPendingBytes bounds the bytes queued for a peer that is not
	// reading (beyond the latest snapshot, which replaces older ones).
	MaxPendingBytes int
	// SendBuffer is SO_SNDBUF for client sockets (the kernel doubles it);
	// DefaultSendBuffer when 0, the kernel's autotuning when negative.
	SendBuffer int
	// Rates are the token buckets every connection sends through.
	Rates RateLimits
	// HTTPReadTimeout and HTTPWriteTimeout bound a page request.
	HTTPReadTimeout, HTTPWriteTimeout time.Duration
	// Workers is the number of goroutines reading connections;
	// GOMAXPROCS when 0.
	Workers int
	// Rooms observes the hub's rooms: give the same observer to the hub
	// (game.HubConfig.Observer), and /metrics serves its histograms. When
	// nil the server makes one whose histograms stay empty.
	Rooms *RoomObserver
	// Build names the build in skirmish_build_info.
	Build BuildInfo
	// DrainWarning is how long before the end of a drain (Drain's
	// deadline) the connections are told that the server restarts.
	DrainWarning time.Duration
	// StallTimeout is how long a room's loop, a worker or the deadline
	// wheel may be stuck before /healthz fails.
	StallTimeout time.Duration
	Logger       *slog.Logger
}

func (c Config) withDefaults() Config {
	orDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	orInt := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	if c.WSPath == "" {
		c.WSPath = DefaultWSPath
	}
	orInt(&c.MaxConns, DefaultMaxConns)
	orInt(&c.MaxConnsPerIP, DefaultMaxConnsPerIP)
	orInt(&c.MaxHTTPConns, DefaultMaxHTTPConns)
	orDur(&c.HandshakeTimeout, DefaultHandshakeTimeout)
	orDur(&c.HelloTimeout, DefaultHelloTimeout)
	orDur(&c.LobbyTimeout, DefaultLobbyTimeout)
	orDur(&c.PingInterval, DefaultPingInterval)
	orDur(&c.PongTimeout, DefaultPongTimeout)
	orDur(&c.RTTInterval, DefaultRTTInterval)
	orDur(&c.TCPUserTimeout, DefaultTCPUserTimeout)
	orDur(&c.FrameTimeout, DefaultFrameTimeout)
	orDur(&c.CloseTimeout, DefaultCloseTimeout)
	orDur(&c.WriteStall, DefaultWriteStall)
	orInt(&c.MaxMessageBytes, DefaultMaxMessageBytes)
	orInt(&c.MaxPendingBytes, DefaultMaxPendingBytes)
	orInt(&c.SendBuffer, DefaultSendBuffer)
	r := &c.Rates
	orInt(&r.InputRateFactor, DefaultInputRateFactor)
	orInt(&r.InputBurst, DefaultInputBurst)
	orInt(&r.MessageRate, DefaultMessageRate)
	orInt(&r.MessageBurst, DefaultMessageBurst)
	orInt(&r.JoinRate, DefaultJoinRate)
	orInt(&r.JoinBurst, DefaultJoinBurst)
	orInt(&r.ByteRate, DefaultByteRate)
	orInt(&r.ByteBurst, DefaultByteBurst)
	orInt(&r.MaxViolations, DefaultMaxViolations)
	orDur(&c.HTTPReadTimeout, DefaultHTTPReadTimeout)
	orDur(&c.HTTPWriteTimeout, DefaultHTTPWriteTimeout)
	orDur(&c.DrainWarning, DefaultDrainWarning)
	orDur(&c.StallTimeout, DefaultStallTimeout)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Rooms == nil {
		c.Rooms = NewRoomObserver(c.Logger)
	}
	if c.Handler == nil {
		c.Handler = http.NotFoundHandler()
	}
	return c
}
