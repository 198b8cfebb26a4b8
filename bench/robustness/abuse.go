package robustness

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
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
	"github.com/skirmishgg/skirmish/bench/report"
	"github.com/skirmishgg/skirmish/bench/scenario"
	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/proto/wire"
)

// Abuse sends what a broken or hostile client would, one connection per
// case, and reports how the server answered each: protocol Error, close
// code, and how long until it closed the connection. A handful of
// connections, so each case is a plain goroutine on a net.Conn with
// deadlines.
type Abuse struct {
	cfg  abuseConfig
	only string
}

// Name is "abuse".
func (*Abuse) Name() string { return "abuse" }

// Flags registers the server, the waits and the cases.
func (s *Abuse) Flags(fs *flag.FlagSet) {
	fs.StringVar(&s.cfg.URL, "url", "ws://127.0.0.1:8080/ws", "server WebSocket URL")
	fs.DurationVar(&s.cfg.Hang, "hang", 15*time.Second, "how long to wait for the server to give up on half frames and half upgrades")
	fs.DurationVar(&s.cfg.Quick, "quick", 3*time.Second, "how long to watch the answer to the other cases")
	fs.StringVar(&s.only, "only", "", "comma-separated case names (default: all)")
}

// Run runs the cases.
func (s *Abuse) Run(ctx context.Context, _ scenario.Env) (*report.Report, error) {
	cfg := s.cfg
	if s.only != "" {
		cfg.Only = strings.Split(s.only, ",")
	}
	results, err := runAbuse(ctx, cfg)
	if err != nil {
		return nil, err
	}
	rep := report.New("abuse")
	rep.Add("abuse", results)
	return rep, nil
}

// abuseResults are the cases' outcomes; the report prints them as a table
// of their own.
type abuseResults []abuseResult

// abuseResult is the outcome of one case.
type abuseResult struct {
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

// abuseConfig configures the abuse cases.
type abuseConfig struct {
	URL string
	// Hang bounds the wait on cases that leave the server waiting (half a
	// frame, half an upgrade); Quick bounds the others.
	Hang  time.Duration
	Quick time.Duration
	// Only runs the named cases (all when empty).
	Only []string
}

// runAbuse runs the cases concurrently and returns their outcomes in order.
func runAbuse(ctx context.Context, cfg abuseConfig) (abuseResults, error) {
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
		if len(cfg.Only) == 0 || slices.Contains(cfg.Only, c.name) {
			cases = append(cases, c)
		}
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("abuse: no case matches %v", cfg.Only)
	}
	results := make(abuseResults, len(cases))
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

func runAbuseCase(ctx context.Context, u *url.URL, c abuseCase, cfg abuseConfig) abuseResult {
	res := abuseResult{Case: c.name, Sent: c.sent, Expect: c.expect, CloseMs: -1, ClosedMs: -1}
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
	res   *abuseResult
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
func observe(conn net.Conn, r io.Reader, raw bool, start time.Time, wait time.Duration, res *abuseResult) {
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
func abuseOutcome(r abuseResult) string {
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

// WriteTable prints one row per case.
func (results abuseResults) WriteTable(w io.Writer) error {
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
