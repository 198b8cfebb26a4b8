package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/gobwas/ws"
	"google.golang.org/protobuf/proto"

	"github.com/skirmishgg/skirmish/bench/botnet"
	"github.com/skirmishgg/skirmish/bench/measure"
	"github.com/skirmishgg/skirmish/bench/reactor"
	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/proto/wire"
	"github.com/skirmishgg/skirmish/server/wsframe"
)

// The abuse scenario sends what a broken or hostile client would and
// reports how the server answered each case: protocol Error, close code,
// and how long until it closed the connection. A handful of connections,
// so each case is a plain goroutine on a net.Conn with deadlines.

// AbuseResult is the outcome of one case.
type AbuseResult struct {
	Case        string  `json:"case"`
	Sent        string  `json:"sent"`
	Expect      string  `json:"expect"`
	AsExpected  bool    `json:"as_expected"`
	ErrorCode   string  `json:"error_code,omitempty"` // protocol Error received
	GotPong     bool    `json:"got_pong,omitempty"`
	HTTPStatus  int     `json:"http_status,omitempty"`
	CloseCode   int     `json:"close_code,omitempty"` // WebSocket close frame
	CloseReason string  `json:"close_reason,omitempty"`
	CloseMs     float64 `json:"close_frame_ms"`   // -1: no close frame
	Closed      bool    `json:"closed"`           // the server closed the TCP connection
	ClosedMs    float64 `json:"time_to_close_ms"` // -1: still open when we gave up
	Note        string  `json:"note,omitempty"`   // errors on our side
	WaitedMs    float64 `json:"observed_for_ms"`  // how long we watched
}

// AbuseConfig configures RunAbuse.
type AbuseConfig struct {
	URL string
	// Hang bounds the wait on cases that leave the server waiting (half a
	// frame, half an upgrade); Quick bounds the others.
	Hang  time.Duration
	Quick time.Duration
	// Only runs the named cases (all when empty).
	Only []string
}

type abuseCase struct {
	name, sent, expect string
	tcpOnly            bool // no WebSocket upgrade
	noHello            bool // upgrade but skip the Hello handshake
	hang               bool
	send               func(c net.Conn, a *abuseEnv) error
	judge              func(o *AbuseResult) bool
}

// abuseEnv is what a case may need from the handshake.
type abuseEnv struct {
	u        *url.URL
	maxBytes int // server's max_message_bytes (0 if not announced)
}

func closeIs(codes ...int) func(o *AbuseResult) bool {
	return func(o *AbuseResult) bool {
		for _, c := range codes {
			if o.CloseCode == c && o.Closed {
				return true
			}
		}
		return false
	}
}

func maskedFrame(op ws.OpCode, p []byte) []byte {
	k := reactor.MaskKey()
	return wsframe.AppendFrame(nil, op, p, &k)
}

func clientFrame(m *skirmishv1.ClientMessage) []byte {
	k := reactor.MaskKey()
	b, err := reactor.AppendMessageFrame(nil, m, &k)
	if err != nil {
		panic(err) // static messages: cannot fail
	}
	return b
}

func payloadOf(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

func writeAll(c net.Conn, parts ...[]byte) error {
	for _, p := range parts {
		if _, err := c.Write(p); err != nil {
			return fmt.Errorf("write: %w", err)
		}
	}
	return nil
}

var pingMsg = &skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Ping{Ping: &skirmishv1.Ping{ClientTimeUs: 42}}}

func abuseCases() []abuseCase {
	return []abuseCase{
		{name: "text_frame", sent: "text frame after the handshake", expect: "close 1003",
			send:  func(c net.Conn, _ *abuseEnv) error { return writeAll(c, maskedFrame(ws.OpText, []byte("hello"))) },
			judge: closeIs(1003)},
		{name: "malformed_protobuf", sent: "binary frame of bytes that are not a ClientMessage", expect: "close 1007 (or Error)",
			send: func(c net.Conn, _ *abuseEnv) error {
				return writeAll(c, maskedFrame(ws.OpBinary, []byte{0xff, 0xff, 0xff, 0xff, 0x0f, 0x08}))
			},
			judge: func(o *AbuseResult) bool { return closeIs(1007)(o) || o.ErrorCode != "" }},
		{name: "oversized_frame", sent: "binary frame of max_message_bytes+1", expect: "close 1009",
			send: func(c net.Conn, a *abuseEnv) error {
				n := a.maxBytes + 1
				if a.maxBytes == 0 {
					n = 1<<20 + 1
				}
				return writeAll(c, maskedFrame(ws.OpBinary, make([]byte, n)))
			},
			judge: closeIs(1009)},
		{name: "huge_length_header", sent: "header announcing 2^62 bytes, nothing after", expect: "close 1009",
			send: func(c net.Conn, _ *abuseEnv) error {
				return writeAll(c, wsframe.AppendHeader(nil, ws.Header{Fin: true, OpCode: ws.OpBinary, Length: 1 << 62, Masked: true, Mask: reactor.MaskKey()}))
			},
			judge: closeIs(1009)},
		{name: "unmasked_frame", sent: "valid Ping message in an unmasked frame", expect: "close 1002",
			send: func(c net.Conn, _ *abuseEnv) error {
				return writeAll(c, wsframe.AppendFrame(nil, ws.OpBinary, payloadOf(pingMsg), nil))
			},
			judge: closeIs(1002)},
		{name: "fragmented_message", sent: "valid Ping message split in two frames (binary+continuation)", expect: "Pong (RFC 6455 allows fragments) or close 1002/1003",
			send: func(c net.Conn, _ *abuseEnv) error {
				p := payloadOf(pingMsg)
				h := len(p) / 2
				k1, k2 := reactor.MaskKey(), reactor.MaskKey()
				f1 := wsframe.AppendHeader(nil, ws.Header{OpCode: ws.OpBinary, Length: int64(h), Masked: true, Mask: k1})
				f1 = append(f1, p[:h]...)
				ws.Cipher(f1[len(f1)-h:], k1, 0)
				f2 := wsframe.AppendHeader(nil, ws.Header{Fin: true, OpCode: ws.OpContinuation, Length: int64(len(p) - h), Masked: true, Mask: k2})
				f2 = append(f2, p[h:]...)
				ws.Cipher(f2[len(f2)-(len(p)-h):], k2, 0)
				return writeAll(c, f1, f2)
			},
			judge: func(o *AbuseResult) bool { return o.GotPong || closeIs(1002, 1003)(o) }},
		{name: "reserved_opcode", sent: "frame with reserved opcode 0x3", expect: "close 1002",
			send:  func(c net.Conn, _ *abuseEnv) error { return writeAll(c, maskedFrame(ws.OpCode(3), []byte{1})) },
			judge: closeIs(1002)},
		{name: "rsv_bits", sent: "binary frame with RSV1 set, no extension negotiated", expect: "close 1002",
			send: func(c net.Conn, _ *abuseEnv) error {
				k := reactor.MaskKey()
				p := payloadOf(pingMsg)
				f := wsframe.AppendHeader(nil, ws.Header{Fin: true, Rsv: 4, OpCode: ws.OpBinary, Length: int64(len(p)), Masked: true, Mask: k})
				f = append(f, p...)
				ws.Cipher(f[len(f)-len(p):], k, 0)
				return writeAll(c, f)
			},
			judge: closeIs(1002)},
		{name: "long_control_frame", sent: "ping control frame with 126 bytes", expect: "close 1002",
			send:  func(c net.Conn, _ *abuseEnv) error { return writeAll(c, maskedFrame(ws.OpPing, make([]byte, 126))) },
			judge: closeIs(1002)},
		{name: "orphan_continuation", sent: "continuation frame with no message started", expect: "close 1002",
			send:  func(c net.Conn, _ *abuseEnv) error { return writeAll(c, maskedFrame(ws.OpContinuation, []byte{1, 2})) },
			judge: closeIs(1002)},
		{name: "bad_protocol_version", sent: "Hello{protocol_version: 999}", expect: "Error PROTOCOL, then close", noHello: true,
			send: func(c net.Conn, _ *abuseEnv) error {
				return writeAll(c, clientFrame(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Hello{Hello: &skirmishv1.Hello{ProtocolVersion: 999}}}))
			},
			judge: func(o *AbuseResult) bool { return o.ErrorCode == "ERROR_CODE_PROTOCOL" }},
		{name: "join_before_hello", sent: "Join without Hello", expect: "Error (BAD_REQUEST or PROTOCOL) or close", noHello: true,
			send: func(c net.Conn, _ *abuseEnv) error {
				return writeAll(c, clientFrame(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Join{Join: &skirmishv1.Join{Mode: "movers", Room: "abuse"}}}))
			},
			judge: func(o *AbuseResult) bool { return o.ErrorCode != "" || o.CloseCode != 0 }},
		{name: "input_before_join", sent: "Input after Hello, outside any room", expect: "Error BAD_REQUEST, stays open",
			send: func(c net.Conn, _ *abuseEnv) error {
				return writeAll(c, clientFrame(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Input{Input: &skirmishv1.Input{Seq: 1}}}))
			},
			judge: func(o *AbuseResult) bool { return o.ErrorCode == "ERROR_CODE_BAD_REQUEST" && !o.Closed }},
		{name: "unknown_mode", sent: "Join{mode: \"no-such-mode\"}", expect: "Error UNKNOWN_MODE",
			send: func(c net.Conn, _ *abuseEnv) error {
				return writeAll(c, clientFrame(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Join{Join: &skirmishv1.Join{Mode: "no-such-mode"}}}))
			},
			judge: func(o *AbuseResult) bool { return o.ErrorCode == "ERROR_CODE_UNKNOWN_MODE" }},
		{name: "half_frame", sent: "header announcing 100 bytes, then 10, then silence", expect: "closed by a server timeout", hang: true,
			send: func(c net.Conn, _ *abuseEnv) error {
				f := wsframe.AppendHeader(nil, ws.Header{Fin: true, OpCode: ws.OpBinary, Length: 100, Masked: true, Mask: reactor.MaskKey()})
				return writeAll(c, append(f, make([]byte, 10)...))
			},
			judge: func(o *AbuseResult) bool { return o.Closed }},
		{name: "half_upgrade", sent: "HTTP upgrade request without its final CRLF, then silence", expect: "closed by a server timeout", tcpOnly: true, hang: true,
			send: func(c net.Conn, a *abuseEnv) error {
				req := "GET " + a.u.RequestURI() + " HTTP/1.1\r\nHost: " + a.u.Host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
					"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
				return writeAll(c, []byte(req))
			},
			judge: func(o *AbuseResult) bool { return o.Closed }},
		{name: "silent_tcp", sent: "TCP connection that never sends a byte", expect: "closed by a server timeout", tcpOnly: true, hang: true,
			send:  func(net.Conn, *abuseEnv) error { return nil },
			judge: func(o *AbuseResult) bool { return o.Closed }},
		{name: "garbage_request", sent: "bytes that are not HTTP", expect: "HTTP 400 and close", tcpOnly: true,
			send: func(c net.Conn, _ *abuseEnv) error {
				return writeAll(c, []byte("\x16\x03\x01 not http at all\r\n\r\n"))
			},
			judge: func(o *AbuseResult) bool { return o.Closed && (o.HTTPStatus == 0 || o.HTTPStatus >= 400) }},
	}
}

// RunAbuse runs the cases concurrently and returns their outcomes in order.
func RunAbuse(ctx context.Context, cfg AbuseConfig) ([]AbuseResult, error) {
	if cfg.Hang <= 0 {
		cfg.Hang = 15 * time.Second
	}
	if cfg.Quick <= 0 {
		cfg.Quick = 3 * time.Second
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("abuse: url: %w", err)
	}
	var cases []abuseCase
	for _, c := range abuseCases() {
		if len(cfg.Only) == 0 || contains(cfg.Only, c.name) {
			cases = append(cases, c)
		}
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("abuse: no case matches %v", cfg.Only)
	}
	results := make([]AbuseResult, len(cases))
	var wg sync.WaitGroup
	for i, c := range cases {
		wg.Add(1)
		go func() { // one per case, bounded by the case list
			defer wg.Done()
			results[i] = runAbuseCase(ctx, u, c, cfg)
		}()
	}
	wg.Wait()
	return results, ctx.Err()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func runAbuseCase(ctx context.Context, u *url.URL, c abuseCase, cfg AbuseConfig) AbuseResult {
	res := AbuseResult{Case: c.name, Sent: c.sent, Expect: c.expect, CloseMs: -1, ClosedMs: -1}
	env := &abuseEnv{u: u}
	conn, br, err := abuseConnect(ctx, u, c, env)
	if err != nil {
		res.Note = err.Error()
		return res
	}
	defer conn.Close()
	wait := cfg.Quick
	if c.hang {
		wait = cfg.Hang
	}
	start := time.Now()
	if err := c.send(conn, env); err != nil {
		// The server may close while we write (e.g. after an oversized header).
		res.Note = "while sending: " + reactor.ShortErr(err)
	}
	observe(conn, br, c.tcpOnly, start, wait, &res)
	res.WaitedMs = measure.Round3(float64(time.Since(start).Microseconds()) / 1000)
	res.AsExpected = c.judge(&res)
	return res
}

// abuseConnect dials and, unless the case is TCP-only, upgrades and (unless
// noHello) completes the Hello handshake.
func abuseConnect(ctx context.Context, u *url.URL, c abuseCase, env *abuseEnv) (net.Conn, io.Reader, error) {
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if c.tcpOnly {
		var d net.Dialer
		conn, err := d.DialContext(dctx, "tcp", u.Host)
		if err != nil {
			return nil, nil, fmt.Errorf("dial: %w", err)
		}
		return conn, conn, nil
	}
	conn, br, _, err := ws.Dialer{}.Dial(dctx, u.String())
	if err != nil {
		return nil, nil, fmt.Errorf("upgrade: %w", err)
	}
	var r io.Reader = conn
	if br != nil {
		r = io.MultiReader(br, conn)
	}
	if c.noHello {
		return conn, r, nil
	}
	hello := clientFrame(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Hello{Hello: &skirmishv1.Hello{ProtocolVersion: wire.ProtocolVersion, Client: botnet.ClientName + " abuse"}}})
	if err := writeAll(conn, hello); err != nil {
		conn.Close()
		return nil, nil, err
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	defer conn.SetReadDeadline(time.Time{})
	for {
		f, err := ws.ReadFrame(r)
		if err != nil {
			conn.Close()
			return nil, nil, fmt.Errorf("handshake: %w", err)
		}
		if f.Header.OpCode != ws.OpBinary {
			continue
		}
		var m skirmishv1.ServerMessage
		if err := proto.Unmarshal(f.Payload, &m); err != nil {
			conn.Close()
			return nil, nil, fmt.Errorf("handshake: %w", err)
		}
		if h := m.GetHello(); h != nil {
			env.maxBytes = int(h.GetMaxMessageBytes())
			return conn, r, nil
		}
	}
}

// abuseSink records what the server sent.
type abuseSink struct {
	res   *AbuseResult
	start time.Time
	conn  net.Conn
}

func (s *abuseSink) OnMessage(op ws.OpCode, p []byte) {
	switch op {
	case ws.OpBinary:
		var m skirmishv1.ServerMessage
		if proto.Unmarshal(p, &m) != nil {
			return
		}
		if e := m.GetError(); e != nil && s.res.ErrorCode == "" {
			s.res.ErrorCode = e.GetCode().String()
		}
		if m.GetPong() != nil {
			s.res.GotPong = true
		}
	case ws.OpClose:
		if s.res.CloseMs < 0 {
			code, reason := ws.ParseCloseFrameData(p)
			s.res.CloseCode, s.res.CloseReason = int(code), reason
			s.res.CloseMs = sinceMs(s.start)
			// Answer it, as a client should; the server then closes TCP.
			s.conn.Write(maskedFrame(ws.OpClose, p))
		}
	}
}

func sinceMs(t time.Time) float64 {
	return measure.Round3(float64(time.Since(t).Microseconds()) / 1000)
}

// observe reads what the server sends until it closes the connection or
// wait passes.
func observe(conn net.Conn, r io.Reader, raw bool, start time.Time, wait time.Duration, res *AbuseResult) {
	conn.SetReadDeadline(start.Add(wait))
	sink := &abuseSink{res: res, start: start, conn: conn}
	var fr reactor.FrameReader
	buf := make([]byte, 32<<10)
	var head []byte
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if raw {
				if len(head) < 64 {
					head = append(head, buf[:min(n, 64)]...)
					res.HTTPStatus = httpStatus(head)
				}
			} else if _, _, ferr := fr.Feed(buf[:n], ws.StateClientSide, 1<<24, sink); ferr != nil {
				res.Note = "server frames: " + ferr.Error()
			}
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return // still open
			}
			res.Closed = true
			res.ClosedMs = sinceMs(start)
			if !errors.Is(err, io.EOF) {
				res.Note = strings.TrimSpace(res.Note + " read: " + reactor.ShortErr(err))
			}
			return
		}
	}
}

// httpStatus parses "HTTP/1.1 400 ..." (0 if not a status line).
func httpStatus(head []byte) int {
	if !bytes.HasPrefix(head, []byte("HTTP/1.")) || len(head) < 12 {
		return 0
	}
	code, err := strconv.Atoi(string(head[9:12]))
	if err != nil {
		return 0
	}
	return code
}

// abuseOutcome is a one-line summary of what the server did.
func abuseOutcome(r AbuseResult) string {
	if r.WaitedMs == 0 && r.Note != "" {
		return "not run: " + r.Note
	}
	var parts []string
	if r.HTTPStatus != 0 {
		parts = append(parts, "HTTP "+strconv.Itoa(r.HTTPStatus))
	}
	if r.ErrorCode != "" {
		parts = append(parts, "Error "+strings.TrimPrefix(r.ErrorCode, "ERROR_CODE_"))
	}
	if r.GotPong {
		parts = append(parts, "Pong")
	}
	if r.CloseMs >= 0 {
		parts = append(parts, fmt.Sprintf("close %d", r.CloseCode))
	}
	if r.Closed {
		parts = append(parts, fmt.Sprintf("TCP closed after %.1f ms", r.ClosedMs))
	} else {
		parts = append(parts, fmt.Sprintf("still open after %.1f s", r.WaitedMs/1000))
	}
	if r.Note != "" {
		parts = append(parts, "("+r.Note+")")
	}
	return strings.Join(parts, ", ")
}

func writeAbuseTable(w io.Writer, results []AbuseResult) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "abuse case\texpected\tok\tserver answered\t")
	for _, r := range results {
		ok := "yes"
		if !r.AsExpected {
			ok = "NO"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", r.Case, r.Expect, ok, abuseOutcome(r))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("abuse table: %w", err)
	}
	return nil
}
