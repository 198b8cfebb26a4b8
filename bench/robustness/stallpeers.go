package robustness

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
	"golang.org/x/sys/unix"

	"github.com/skirmishgg/skirmish/bench/botnet"
	"github.com/skirmishgg/skirmish/bench/diag"
	"github.com/skirmishgg/skirmish/bench/measure"
	"github.com/skirmishgg/skirmish/bench/reactor"
	"github.com/skirmishgg/skirmish/proto/wire"
	"github.com/skirmishgg/skirmish/server/wsframe"
)

// The stalled peers live in this process next to the legitimate bots (one
// fd each: 5 000 + 200 is far below the 20 000 fd limit), on a reactor of
// their own: they only read, to see the close frame or the end of stream.

// stallKind is how a peer stalls.
type stallKind int

const (
	stallUpgrade stallKind = iota // half an HTTP upgrade request
	stallFrame                    // handshake, Hello, then half a frame
)

// stallHalfFrameLen is the payload length the half frame announces (well
// under max_message_bytes, so that only the frame timeout applies); the
// peer sends its header and stallHalfFrameSent bytes of it.
const (
	stallHalfFrameLen  = 64
	stallHalfFrameSent = 10
)

// stallPeer is one stalled connection.
type stallPeer struct {
	rd   reactor.Readiness
	g    *stallGroup
	kind stallKind
	fd   int
	// ref is the start of the server's deadline as we can know it (group
	// clock, ns), stamped before the system call that starts it: the
	// connect (half upgrade) or the write of the half frame. The server
	// starts its clock later, so a correct server is never early.
	ref int64

	// Worker-owned while open.
	fr       reactor.FrameReader
	now      int64
	gotBytes int

	closeFrameAt int64 // when the close frame arrived (0: none)
	closeCode    int
	closedAt     int64 // end of stream or reset
	closedHow    string
	done         atomic.Bool
}

func (p *stallPeer) Readiness() *reactor.Readiness { return &p.rd }

// serve reads what the server sent until EAGAIN: a close frame (half
// frames), then the end of stream.
func (p *stallPeer) Serve(w *reactor.Worker) {
	p.rd.TakeEvents()
	if p.done.Load() {
		return
	}
	for {
		n, err := unix.Read(p.fd, w.Buf)
		now := p.g.now()
		if n > 0 {
			p.gotBytes += n
			if p.kind == stallFrame {
				p.now = now
				if _, _, ferr := p.fr.Feed(w.Buf[:n], ws.StateClientSide, 1<<20, p); ferr != nil {
					p.finish(now, "bad frames: "+reactor.ShortErr(ferr))
					return
				}
			}
			continue
		}
		switch {
		case err == nil:
			p.finish(now, "eof")
			return
		case errors.Is(err, unix.EAGAIN):
			return
		case errors.Is(err, unix.EINTR):
		default:
			p.finish(now, reactor.ShortErr(err))
			return
		}
	}
}

// onMessage records the server's close frame.
func (p *stallPeer) OnMessage(op ws.OpCode, payload []byte) {
	if op == ws.OpClose && p.closeFrameAt == 0 {
		code, _ := ws.ParseCloseFrameData(payload)
		p.closeFrameAt, p.closeCode = p.now, int(code)
	}
}

// finish closes our end after the server closed its end (worker only).
func (p *stallPeer) finish(now int64, how string) {
	p.closedAt, p.closedHow = now, how
	if err := p.g.r.Del(p.fd); err != nil {
		diag.Logf("stall: %v", err)
	}
	unix.Close(p.fd)
	p.done.Store(true)
	p.g.closed[p.kind].Add(1)
}

// closedWhen is when the server acted: its close frame, or the end of
// the connection when there was none.
func (p *stallPeer) closedWhen() int64 {
	if p.closeFrameAt != 0 {
		return p.closeFrameAt
	}
	return p.closedAt
}

// stallGroup is the stalled peers of a run.
type stallGroup struct {
	u       *url.URL
	remote  netip.AddrPort
	start   time.Time
	r       *reactor.Reactor
	n       int
	nFrame  int // indices [0, nFrame) stall with half a frame
	timeout [2]time.Duration
	dialTO  time.Duration

	peers    []atomic.Pointer[stallPeer]
	next     atomic.Int64
	stalled  [2]atomic.Int64
	failed   [2]atomic.Int64
	closed   [2]atomic.Int64
	lastDue  atomic.Int64 // latest deadline, group clock
	dialWG   sync.WaitGroup
	failMu   sync.Mutex
	failWhy  map[string]int64
	closeErr error
}

func (g *stallGroup) now() int64 { return int64(time.Since(g.start)) }

func newStallGroup(wsURL string, sc stallConfig, workers int) (*stallGroup, error) {
	u, remote, err := reactor.ResolveURL(wsURL)
	if err != nil {
		return nil, fmt.Errorf("stall: %w", err)
	}
	g := &stallGroup{
		u: u, remote: remote, start: time.Now(), n: sc.N, nFrame: sc.N - sc.N/2,
		timeout: [2]time.Duration{stallUpgrade: sc.HandshakeTimeout, stallFrame: sc.FrameTimeout},
		dialTO:  10 * time.Second,
		peers:   make([]atomic.Pointer[stallPeer], sc.N),
	}
	if g.r, err = reactor.New(max(workers, 1), sc.N+1, 4096); err != nil {
		return nil, fmt.Errorf("stall: %w", err)
	}
	return g, nil
}

// kindOf: the half frames first (their handshake takes longest), then the
// half upgrades, whose shorter deadline then still covers the legitimate
// bots' turn.
func (g *stallGroup) kindOf(i int) stallKind {
	if i < g.nFrame {
		return stallFrame
	}
	return stallUpgrade
}

// dial starts conc goroutines that set the peers up; wait for them with
// dialWG.
func (g *stallGroup) dial(conc int) {
	for range max(min(conc, g.n), 1) {
		g.dialWG.Add(1)
		go func() { // ends when every index is taken
			defer g.dialWG.Done()
			var enc botnet.Encoder
			buf := make([]byte, 4096)
			for {
				i := int(g.next.Add(1) - 1)
				if i >= g.n {
					return
				}
				k := g.kindOf(i)
				p, err := g.setup(i, k, &enc, buf)
				if err != nil {
					g.failed[k].Add(1)
					g.failMu.Lock()
					measure.Count(&g.failWhy, err.Error())
					g.failMu.Unlock()
					continue
				}
				g.peers[i].Store(p)
				g.stalled[k].Add(1)
				due := p.ref + int64(g.timeout[k])
				for {
					cur := g.lastDue.Load()
					if due <= cur || g.lastDue.CompareAndSwap(cur, due) {
						break
					}
				}
			}
		}()
	}
}

// setup connects peer i and leaves it stalled, registered for reading.
func (g *stallGroup) setup(i int, k stallKind, enc *botnet.Encoder, buf []byte) (_ *stallPeer, err error) {
	p := &stallPeer{g: g, kind: k, fd: -1}
	deadline := time.Now().Add(g.dialTO)
	if k == stallUpgrade {
		p.ref = g.now()
	}
	fd, err := reactor.Dial(g.remote, netip.Addr{}, 0, deadline)
	if err != nil {
		return nil, fmt.Errorf("connect: %s", reactor.ShortErr(err))
	}
	defer func() {
		if err != nil {
			unix.Close(fd)
		}
	}()
	conn := &reactor.Conn{FD: fd, Deadline: deadline}
	if k == stallUpgrade {
		err = g.halfUpgrade(conn)
	} else {
		err = g.halfFrame(p, conn, enc, buf)
	}
	if err != nil {
		return nil, err
	}
	p.fd = fd
	if err := g.r.Add(fd, p); err != nil {
		return nil, fmt.Errorf("register: %s", reactor.ShortErr(err))
	}
	// Anything that arrived meanwhile raised no edge for us: look once.
	g.r.Wake(p)
	return p, nil
}

// halfUpgrade sends an HTTP upgrade request without its final CRLF.
func (g *stallGroup) halfUpgrade(conn *reactor.Conn) error {
	req := "GET " + g.u.RequestURI() + " HTTP/1.1\r\nHost: " + g.u.Host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		return fmt.Errorf("half upgrade: %s", reactor.ShortErr(err))
	}
	return nil
}

// halfFrame upgrades, sends Hello, waits for ServerHello, then sends a
// frame header announcing stallHalfFrameLen bytes and stallHalfFrameSent
// of them; the server's frame deadline starts at p.ref.
func (g *stallGroup) halfFrame(p *stallPeer, conn *reactor.Conn, enc *botnet.Encoder, buf []byte) error {
	br, _, err := ws.Dialer{}.Upgrade(conn, g.u)
	if err != nil {
		return fmt.Errorf("upgrade: %s", reactor.ShortErr(err))
	}
	var got helloSink
	if br != nil {
		if extra, perr := br.Peek(br.Buffered()); perr == nil && len(extra) > 0 {
			p.fr.Preload(extra)
		}
		ws.PutReader(br)
	}
	hello, err := enc.Hello()
	if err != nil {
		return err
	}
	if _, err := conn.Write(hello); err != nil {
		return fmt.Errorf("hello: %s", reactor.ShortErr(err))
	}
	var data []byte // the preloaded bytes first
	for !got.hello && got.err == nil {
		if _, _, ferr := p.fr.Feed(data, ws.StateClientSide, 1<<20, &got); ferr != nil {
			return fmt.Errorf("server hello: %s", reactor.ShortErr(ferr))
		}
		if got.hello || got.err != nil {
			break
		}
		n, err := conn.Read(buf)
		if err != nil {
			return fmt.Errorf("server hello: %s", reactor.ShortErr(err))
		}
		data = buf[:n]
	}
	if got.err != nil {
		return got.err
	}
	half := wsframe.AppendHeader(nil, ws.Header{Fin: true, OpCode: ws.OpBinary, Length: stallHalfFrameLen, Masked: true, Mask: reactor.MaskKey()})
	half = append(half, make([]byte, stallHalfFrameSent)...)
	p.ref = g.now()
	if _, err := conn.Write(half); err != nil {
		return fmt.Errorf("half frame: %s", reactor.ShortErr(err))
	}
	return nil
}

// helloSink waits for ServerHello during a half-frame peer's set-up.
type helloSink struct {
	hello bool
	err   error
}

func (h *helloSink) OnMessage(op ws.OpCode, p []byte) {
	switch op {
	case ws.OpBinary:
		s, err := wire.ScanServerMessage(p)
		switch {
		case err != nil:
			h.err = fmt.Errorf("server hello: %s", reactor.ShortErr(err))
		case s.Kind == wire.FieldServerHello:
			h.hello = true
		default:
			h.err = fmt.Errorf("server hello: got message field %d", s.Kind)
		}
	case ws.OpClose:
		code, _ := ws.ParseCloseFrameData(p)
		h.err = fmt.Errorf("server hello: closed %d", code)
	}
}

// open is how many stalled peers the server has not closed yet.
func (g *stallGroup) open() int64 {
	return g.stalled[0].Load() + g.stalled[1].Load() - g.closed[0].Load() - g.closed[1].Load()
}

// close stops the reactor and closes the peers the server left open; it
// returns how the peers fared, per kind. Call it after dialWG is done.
func (g *stallGroup) close(grace time.Duration) [2]measure.DeadlineStats {
	g.r.StopWorkers()
	var out [2]measure.DeadlineStats
	for k := range out {
		out[k].GraceUs = grace.Microseconds()
		out[k].Stalled = g.stalled[k].Load()
	}
	out[stallUpgrade].Peers = int64(g.n - g.nFrame)
	out[stallFrame].Peers = int64(g.nFrame)
	out[stallFrame].WantCode = 1008
	for i := range g.peers {
		p := g.peers[i].Load()
		if p == nil {
			continue
		}
		if !p.done.Load() {
			if err := g.r.Del(p.fd); err != nil {
				diag.Logf("stall: %v", err)
			}
			unix.Close(p.fd)
			continue
		}
		late := (p.closedWhen() - p.ref - int64(g.timeout[p.kind])) / 1000
		out[p.kind].Record(late, p.closeCode)
	}
	g.closeErr = g.r.Close()
	if n := g.r.Dropped(); n > 0 {
		g.closeErr = errors.Join(g.closeErr, fmt.Errorf("stall: %d epoll wake-ups lost", n))
	}
	return out
}
