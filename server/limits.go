package server

import (
	"time"

	"github.com/gobwas/ws"
	"golang.org/x/time/rate"
)

// Defaults of the per-connection rate limits. A client sends about one
// input per tick and a Ping now and then; these leave twice that, plus a
// burst for the inputs a network stall bunches up.
const (
	// DefaultInputRateFactor: inputs per second, as a multiple of the
	// room's tick rate.
	DefaultInputRateFactor = 2
	// DefaultInputBurst is how many inputs may arrive at once (two seconds
	// of a 30 Hz room).
	DefaultInputBurst = 60
	// DefaultMessageRate bounds every other message and control frame
	// (Hello, Join, Leave, Ping, WebSocket pings), per second.
	DefaultMessageRate  = 5
	DefaultMessageBurst = 20
	// DefaultJoinRate bounds Join messages per second (each can open a
	// room or look one up).
	DefaultJoinRate  = 1
	DefaultJoinBurst = 5
	// DefaultByteRate bounds the bytes a connection sends per second.
	DefaultByteRate  = 64 << 10
	DefaultByteBurst = 256 << 10
	// DefaultMaxViolations is how many messages over a limit a connection
	// may send (refilled at one per second) before it is closed with 1008:
	// a client that merely bursts loses a few messages, one that keeps
	// flooding is cut off.
	DefaultMaxViolations = 50
	// maxFailedLookups closes a connection that keeps asking for rooms that
	// are not there (room codes are not to be guessed).
	maxFailedLookups = 10
)

// RateLimits are the per-connection token buckets: a rate per second and
// a burst for each kind of traffic. Zero fields pick the defaults above.
type RateLimits struct {
	InputRateFactor, InputBurst int
	MessageRate, MessageBurst   int
	JoinRate, JoinBurst         int
	ByteRate, ByteBurst         int
	MaxViolations               int
}

// connLimits are the token buckets of one connection. They are made at
// its first message after Hello, so idle connections hold none.
type connLimits struct {
	inputs, messages, joins, bytes, violations *rate.Limiter
}

func (s *Server) newConnLimits() *connLimits {
	cfg := &s.cfg.Rates
	return &connLimits{
		// Outside a room inputs are refused anyway; joining sets the rate.
		inputs:     rate.NewLimiter(rate.Limit(cfg.InputRateFactor*30), cfg.InputBurst),
		messages:   rate.NewLimiter(rate.Limit(cfg.MessageRate), cfg.MessageBurst),
		joins:      rate.NewLimiter(rate.Limit(cfg.JoinRate), cfg.JoinBurst),
		bytes:      rate.NewLimiter(rate.Limit(cfg.ByteRate), max(cfg.ByteBurst, readBufferSize)),
		violations: rate.NewLimiter(1, cfg.MaxViolations),
	}
}

func (c *Conn) connLimits() *connLimits {
	if c.limits == nil {
		c.limits = c.srv.newConnLimits()
	}
	return c.limits
}

// setTickRate scales the input bucket to the room the connection joined.
func (c *Conn) setTickRate(tickRate int) {
	c.connLimits().inputs.SetLimit(rate.Limit(c.srv.cfg.Rates.InputRateFactor * tickRate))
}

// allow takes n tokens from bucket, one of c's. Over the limit the
// message is dropped and counted as a violation; too many violations close
// the connection with 1008.
func (c *Conn) allow(bucket *rate.Limiter, n int) bool {
	now := time.Now()
	if bucket.AllowN(now, n) {
		return true
	}
	c.srv.stats.rateLimited.Add(1)
	if !c.limits.violations.AllowN(now, 1) {
		c.srv.stats.rateClosed.Add(1)
		c.closeWith(ws.StatusPolicyViolation, "rate limit exceeded")
	}
	return false
}

func (c *Conn) allowInput() bool   { return c.allow(c.connLimits().inputs, 1) }
func (c *Conn) allowControl() bool { return c.allow(c.connLimits().messages, 1) }
func (c *Conn) allowJoin() bool    { return c.allow(c.connLimits().joins, 1) }

// allowBytes charges n bytes read. Bytes are charged from the first
// message after Hello on (which makes the buckets), so that idle
// connections keep holding none; until then a connection can send little
// more than a Hello, whose size MaxMessageBytes bounds.
func (c *Conn) allowBytes(n int) bool {
	if c.limits == nil {
		return true
	}
	return c.allow(c.limits.bytes, n)
}
