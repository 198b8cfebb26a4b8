package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/skirmishgg/skirmish/game"
)

// Defaults and hard limits of the network core.
const (
	DefaultAddr             = ":8080"
	DefaultWSPath           = "/ws"
	DefaultMaxConns         = 19500
	DefaultHandshakeTimeout = 5 * time.Second
	DefaultFrameTimeout     = 10 * time.Second
	DefaultCloseTimeout     = 2 * time.Second
	DefaultWriteStall       = 10 * time.Second
	DefaultMaxMessageBytes  = 4096
	DefaultMaxPendingBytes  = 64 << 10
	// DefaultSendBuffer caps each socket's kernel send buffer. Left to
	// autotuning, the kernel buffers megabytes for a peer that does not
	// read, which hides it from the stall check for minutes.
	DefaultSendBuffer = 64 << 10

	// maxHeadBytes bounds an HTTP request head read before routing it.
	maxHeadBytes = 8 << 10
	// readBufferSize is each worker's read buffer; connections own none.
	readBufferSize = 64 << 10
	// maxReadsPerWakeup keeps one busy peer from holding a worker: after
	// this many reads the connection goes to the back of the queue.
	maxReadsPerWakeup = 8
	// httpBacklog bounds plain HTTP connections waiting for net/http.
	httpBacklog = 128
)

// Config configures a Server. Zero values pick the defaults above.
type Config struct {
	// Hub places players in rooms. Required.
	Hub *game.Hub
	// Handler serves every request that is not a WebSocket upgrade on
	// WSPath (the web client); the server answers /debug/stats and /rooms
	// itself.
	Handler http.Handler
	// WSPath is the path of the WebSocket endpoint.
	WSPath string
	// MaxConns bounds open connections; more are accepted and closed at
	// once. The process needs one fd per connection.
	MaxConns int
	// HandshakeTimeout is how long a peer has to send a complete HTTP
	// request head after connecting.
	HandshakeTimeout time.Duration
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
	// Workers is the number of goroutines reading connections;
	// GOMAXPROCS when 0.
	Workers int
	Logger  *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.WSPath == "" {
		c.WSPath = DefaultWSPath
	}
	if c.MaxConns <= 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if c.FrameTimeout <= 0 {
		c.FrameTimeout = DefaultFrameTimeout
	}
	if c.CloseTimeout <= 0 {
		c.CloseTimeout = DefaultCloseTimeout
	}
	if c.WriteStall <= 0 {
		c.WriteStall = DefaultWriteStall
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if c.MaxPendingBytes <= 0 {
		c.MaxPendingBytes = DefaultMaxPendingBytes
	}
	if c.SendBuffer == 0 {
		c.SendBuffer = DefaultSendBuffer
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Handler == nil {
		c.Handler = http.NotFoundHandler()
	}
	return c
}
