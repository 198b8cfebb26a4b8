package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
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
	"github.com/skirmishgg/skirmish/server"
	"github.com/skirmishgg/skirmish/server/wsframe"
)

// The stall scenario: N peers stall the server, half with half an HTTP
// upgrade request (then silence), half with a finished handshake (Hello →
// ServerHello) followed by half a WebSocket frame (then silence). While
// they all hang, legitimate bots connect, Hello and Join a movers room.
// Then the scenario waits for the server's deadlines (its handshake and
// frame timeouts) and judges when each stalled peer was closed.
//
// The stalled peers live in this process next to the legitimate bots (one
// fd each: 5 000 + 200 is far below the 20 000 fd limit), on a reactor of
// their own: they only read, to see the close frame or the end of stream.

// StallConfig shapes the stall scenario.
type StallConfig struct {
	N            int // stalled peers: N/2 half upgrades, N−N/2 half frames
	Legit        int // legitimate bots (default 200)
	LegitPlayers int // per room (default 50)
	// The server's deadlines, as it was configured (defaults 5 s, 10 s).
	HandshakeTimeout time.Duration
	FrameTimeout     time.Duration
	// Grace is how late after its deadline a peer may be closed (1 s).
	Grace time.Duration
	// JoinP99Max is the bar for the legitimate bots' join p99 (100 ms).
	JoinP99Max time.Duration
	// The legitimate bots: warmup and window after all joined (they play
	// for the window, measured, while every peer still stalls).
	LegitWarmup, LegitWindow time.Duration
	// Linger is how long past the last deadline + Grace the scenario keeps
	// watching for closes that come late (default 2 s).
	Linger time.Duration
}

func (sc StallConfig) withDefaults() StallConfig {
	if sc.Legit <= 0 {
		sc.Legit = 200
	}
	if sc.LegitPlayers <= 0 {
		sc.LegitPlayers = 50
	}
	if sc.HandshakeTimeout <= 0 {
		sc.HandshakeTimeout = 5 * time.Second
	}
	if sc.FrameTimeout <= 0 {
		sc.FrameTimeout = 10 * time.Second
	}
	if sc.Grace <= 0 {
		sc.Grace = time.Second
	}
	if sc.JoinP99Max <= 0 {
		sc.JoinP99Max = 100 * time.Millisecond
	}
	if sc.LegitWarmup < 0 {
		sc.LegitWarmup = 0
	}
	if sc.LegitWindow <= 0 {
		sc.LegitWindow = time.Second
	}
	if sc.Linger <= 0 {
		sc.Linger = 2 * time.Second
	}
	return sc
}

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

func newStallGroup(wsURL string, sc StallConfig, workers int) (*stallGroup, error) {
	u, err := url.Parse(wsURL)
	if err != nil {
		return nil, fmt.Errorf("stall: url: %w", err)
	}
	hostport := u.Host
	if u.Port() == "" {
		hostport += ":80"
	}
	remote, err := reactor.Resolve(hostport)
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
		req := "GET " + g.u.RequestURI() + " HTTP/1.1\r\nHost: " + g.u.Host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		if _, err := conn.Write([]byte(req)); err != nil {
			return nil, fmt.Errorf("half upgrade: %s", reactor.ShortErr(err))
		}
	} else {
		br, _, err := ws.Dialer{}.Upgrade(conn, g.u)
		if err != nil {
			return nil, fmt.Errorf("upgrade: %s", reactor.ShortErr(err))
		}
		var got helloSink
		if br != nil {
			if extra, perr := br.Peek(br.Buffered()); perr == nil && len(extra) > 0 {
				if _, _, ferr := p.fr.Feed(append([]byte(nil), extra...), ws.StateClientSide, 1<<20, &got); ferr != nil {
					ws.PutReader(br)
					return nil, fmt.Errorf("handshake: %s", reactor.ShortErr(ferr))
				}
			}
			ws.PutReader(br)
		}
		hello, err := enc.Hello()
		if err != nil {
			return nil, err
		}
		if _, err := conn.Write(hello); err != nil {
			return nil, fmt.Errorf("hello: %s", reactor.ShortErr(err))
		}
		for !got.hello && got.err == nil {
			n, err := conn.Read(buf)
			if err != nil {
				return nil, fmt.Errorf("server hello: %s", reactor.ShortErr(err))
			}
			if _, _, ferr := p.fr.Feed(buf[:n], ws.StateClientSide, 1<<20, &got); ferr != nil {
				return nil, fmt.Errorf("server hello: %s", reactor.ShortErr(ferr))
			}
		}
		if got.err != nil {
			return nil, got.err
		}
		half := wsframe.AppendHeader(nil, ws.Header{Fin: true, OpCode: ws.OpBinary, Length: stallHalfFrameLen, Masked: true, Mask: reactor.MaskKey()})
		half = append(half, make([]byte, stallHalfFrameSent)...)
		p.ref = g.now()
		if _, err := conn.Write(half); err != nil {
			return nil, fmt.Errorf("half frame: %s", reactor.ShortErr(err))
		}
	}
	p.fd = fd
	if err := g.r.Add(fd, p); err != nil {
		return nil, fmt.Errorf("register: %s", reactor.ShortErr(err))
	}
	// Anything that arrived meanwhile raised no edge for us: look once.
	g.r.Wake(p)
	return p, nil
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

// setUp is how many peers are stalled or failed to.
func (g *stallGroup) setUp() int64 {
	return g.stalled[0].Load() + g.stalled[1].Load() + g.failed[0].Load() + g.failed[1].Load()
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

// RunStall runs the stall scenario and judges it.
func RunStall(ctx context.Context, o Options, sc StallConfig) (*Figures, *Verdict, error) {
	sc = sc.withDefaults()
	if sc.N < 2 {
		return nil, nil, fmt.Errorf("stall: -n must be at least 2")
	}
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err == nil && lim.Cur != math.MaxUint64 && uint64(sc.N+sc.Legit+64) > lim.Cur {
		return nil, nil, fmt.Errorf("stall: %d stalled peers and %d bots need more fds than the limit (%d) of this process", sc.N, sc.Legit, lim.Cur)
	}
	statsURL, err := measure.StatsURL(o.URL)
	if err != nil {
		return nil, nil, err
	}
	before, err := measure.FetchStats(ctx, statsURL)
	if err != nil {
		return nil, nil, fmt.Errorf("stall: the verdict needs the server's counters: %w", err)
	}
	var rss *measure.RSSSampler
	if o.ServerPID != 0 {
		rss = measure.StartRSSSampler(o.ServerPID, 250*time.Millisecond, "stalling")
		defer rss.Stop()
	}
	workers := o.Workers
	if workers <= 0 {
		workers = 2
	}
	g, err := newStallGroup(o.URL, sc, workers)
	if err != nil {
		return nil, nil, err
	}
	pl := diag.NewProgress(o.Progress, "stall")
	defer pl.Done()
	progress := func(phase string) {
		pl.Update(fmt.Sprintf("%s %s | stalled %d/%d failed %d open %d", phase, diag.Elapsed(time.Since(g.start)),
			g.stalled[0].Load()+g.stalled[1].Load(), g.n, g.failed[0].Load()+g.failed[1].Load(), g.open()))
	}

	// 1. Stall N peers.
	g.dial(o.DialConcurrency)
	dialed := make(chan struct{})
	go func() { g.dialWG.Wait(); close(dialed) }() // ends when the dialers do
	tick := time.NewTicker(500 * time.Millisecond)
	for waiting := true; waiting; {
		select {
		case <-dialed:
			waiting = false
		case <-tick.C:
			progress("stalling")
		case <-ctx.Done():
			tick.Stop()
			<-dialed
			g.close(sc.Grace)
			return nil, nil, ctx.Err()
		}
	}
	tick.Stop()
	setupTime := time.Since(g.start)
	progress("stalled")
	openAtLegit := g.open()

	// 2. Legitimate bots while every peer stalls.
	if rss != nil {
		rss.SetPhase("legit")
	}
	lo := o
	lo.Warmup, lo.Window = sc.LegitWarmup, sc.LegitWindow
	lo.Progress = nil
	spec := lo.spec(botnet.WorkPlay, sc.Legit)
	spec.PlayersPerRoom = sc.LegitPlayers
	spec.RoomPrefix = "stall-"
	legitStart := time.Since(g.start)
	res, legitErr := botnet.Run(ctx, lo.run("stall-legit", spec))
	legitTime := time.Since(g.start) - legitStart
	openAfterLegit := g.open()
	during, duringErr := measure.FetchStats(ctx, statsURL)
	if legitErr != nil {
		g.close(sc.Grace)
		return nil, nil, legitErr
	}

	// 3. Wait for the deadlines (and a little past them, to see late ones).
	if rss != nil {
		rss.SetPhase("deadlines")
	}
	until := g.start.Add(time.Duration(g.lastDue.Load()) + sc.Grace + sc.Linger)
	for g.open() > 0 && time.Now().Before(until) {
		select {
		case <-ctx.Done():
			g.close(sc.Grace)
			return nil, nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
			progress("waiting for deadlines")
		}
	}
	progress("done")
	after, afterErr := measure.FetchStats(ctx, statsURL)
	kinds := g.close(sc.Grace)
	if g.closeErr != nil {
		diag.Logf("stall: %v", g.closeErr)
	}
	// The server lets go of the connections we just closed; give it a
	// moment before reading its fds again.
	settled := after
	if afterErr == nil {
		settled = settleStats(ctx, statsURL, int64(before.Connections), 3*time.Second)
	}

	// Figures.
	f := NewFigures()
	f.Set("stalled_peers", int64(sc.N))
	f.Set("legit_bots", int64(sc.Legit))
	f.Set("handshake_timeout_s", measure.Round3(sc.HandshakeTimeout.Seconds()))
	f.Set("frame_timeout_s", measure.Round3(sc.FrameTimeout.Seconds()))
	f.Set("grace_s", measure.Round3(sc.Grace.Seconds()))
	f.Set("stall_setup_s", measure.Round3(setupTime.Seconds()))
	f.Set("stall_setup_failed", g.failed[0].Load()+g.failed[1].Load())
	g.failMu.Lock()
	setupFails := measure.CountsString(g.failWhy)
	g.failMu.Unlock()
	f.Set("stall_setup_fail_reasons", setupFails)
	f.Set("stalled_open_at_legit_start", openAtLegit)
	f.Set("stalled_open_after_legit", openAfterLegit)
	st := res.Stats
	f.Set("legit_phase_s", measure.Round3(legitTime.Seconds()))
	f.Set("legit_connected", st.Connected)
	f.Set("legit_joined", st.Joined)
	f.Set("legit_failed", st.Failed)
	f.Set("legit_fail_reasons", measure.CountsString(st.FailReasons))
	f.Set("legit_connect_p50_ms", measure.Ms(st.Connect.Quantile(0.5)))
	f.Set("legit_connect_p99_ms", measure.Ms(st.Connect.Quantile(0.99)))
	f.Set("legit_handshake_p50_ms", measure.Ms(st.Handshake.Quantile(0.5)))
	f.Set("legit_handshake_p99_ms", measure.Ms(st.Handshake.Quantile(0.99)))
	f.Set("legit_join_p50_ms", measure.Ms(st.Join.Quantile(0.5)))
	f.Set("legit_join_p99_ms", measure.Ms(st.Join.Quantile(0.99)))
	f.Set("legit_join_max_ms", measure.Ms(st.Join.Max()))
	f.Set("legit_gap_p50_ms", measure.Ms(st.Gap.Quantile(0.5)))
	f.Set("legit_gap_p99_ms", measure.Ms(st.Gap.Quantile(0.99)))
	f.Set("legit_rtt_p99_ms", measure.Ms(st.RTT.Quantile(0.99)))
	if res.Server.Measured && res.Machine.Busy > 0 {
		f.Set("legit_window_machine_other_cpu_cores", measure.Round3(measure.OtherCores(res.Machine, res.Server.CPU+res.Bots.CPU, time.Duration(st.WindowNanos))))
	}
	for _, k := range []struct {
		kind stallKind
		name string
	}{{stallUpgrade, "half_upgrade"}, {stallFrame, "half_frame"}} {
		d := &kinds[k.kind]
		f.Set(k.name+"_peers", d.Peers)
		f.Set(k.name+"_stalled", d.Stalled)
		f.Set(k.name+"_closed", d.Closed)
		f.Set(k.name+"_closed_in_time", d.InTime)
		f.Set(k.name+"_closed_early", d.Early)
		f.Set(k.name+"_closed_late", d.Late)
		f.Set(k.name+"_not_closed", d.NotClosed())
		f.Set(k.name+"_lateness_min_ms", measure.Ms(d.MinLateUs))
		f.Set(k.name+"_lateness_p50_ms", measure.Ms(d.Lateness.Quantile(0.5)))
		f.Set(k.name+"_lateness_p99_ms", measure.Ms(d.Lateness.Quantile(0.99)))
		f.Set(k.name+"_lateness_max_ms", measure.Ms(d.MaxLateUs))
		f.Set(k.name+"_close_codes", measure.CountsString(d.CloseCodes))
	}
	var dHS, dFT, d1008 int64
	if afterErr == nil {
		dHS = int64(after.HandshakeTimeouts) - int64(before.HandshakeTimeouts)
		dFT = int64(after.FrameTimeouts) - int64(before.FrameTimeouts)
		d1008 = measure.CloseCode(after, 1008) - measure.CloseCode(before, 1008)
		f.Set("server_handshake_timeouts", dHS)
		f.Set("server_frame_timeouts", dFT)
		f.Set("server_close_1008", d1008)
	}
	f.Set("server_connections_before", int64(before.Connections))
	f.Set("server_fds_before", int64(before.FDs))
	if duringErr == nil {
		f.Set("server_connections_stalled", int64(during.Connections))
		f.Set("server_fds_stalled", int64(during.FDs))
	}
	f.Set("server_connections_after", int64(settled.Connections))
	f.Set("server_fds_after", int64(settled.FDs))
	f.Set("server_goroutines_before", int64(before.Goroutines))
	f.Set("server_goroutines_after", int64(settled.Goroutines))
	if rss != nil {
		rss.Stop()
		sum := rss.Summary()
		f.Set("server_rss_max_bytes", sum.MaxOf())
		f.Set("server_rss_after_bytes", sum.Last)
	}

	// Verdict.
	v := &Verdict{Scenario: "stall"}
	up, fr := &kinds[stallUpgrade], &kinds[stallFrame]
	v.Add("peers stalled", up.Stalled == up.Peers && fr.Stalled == fr.Peers,
		"%d/%d half upgrades, %d/%d half frames set up in %.2f s (%s)", up.Stalled, up.Peers, fr.Stalled, fr.Peers, setupTime.Seconds(), setupFails)
	v.Add("all stalled while the bots joined", openAfterLegit == int64(sc.N),
		"%d of %d stalled peers still open after the legitimate bots' %.2f s", openAfterLegit, sc.N, legitTime.Seconds())
	v.Add("every legit bot joined", st.Joined == int64(sc.Legit) && st.Failed == 0,
		"%d/%d joined, %d failed (%s)", st.Joined, sc.Legit, st.Failed, measure.CountsString(st.FailReasons))
	v.Add("legit join p99", st.Join.Count() > 0 && st.Join.Quantile(0.99) <= sc.JoinP99Max.Microseconds(),
		"p50 %.3f ms, p99 %.3f ms (bar ≤ %v)", measure.UsToMs(st.Join.Quantile(0.5)), measure.UsToMs(st.Join.Quantile(0.99)), sc.JoinP99Max)
	v.Add("half upgrades closed in time", up.AllInTime(),
		"%d/%d within [deadline, +%v] of their %v handshake timeout (early %d, late %d, never %d; lateness p50 %.1f ms, max %.1f ms)",
		up.InTime, up.Peers, sc.Grace, sc.HandshakeTimeout, up.Early, up.Late, up.NotClosed(), measure.UsToMs(up.Lateness.Quantile(0.5)), measure.UsToMs(up.MaxLateUs))
	v.Add("half frames closed in time with 1008", fr.AllInTime(),
		"%d/%d within [deadline, +%v] of their %v frame timeout with close 1008 (early %d, late %d, other close %d, never %d; codes %s; lateness p50 %.1f ms, max %.1f ms)",
		fr.InTime, fr.Peers, sc.Grace, sc.FrameTimeout, fr.Early, fr.Late, fr.WrongEnd, fr.NotClosed(), measure.CountsString(fr.CloseCodes),
		measure.UsToMs(fr.Lateness.Quantile(0.5)), measure.UsToMs(fr.MaxLateUs))
	if afterErr != nil {
		v.Add("server timeout counters", false, "/debug/stats after the deadlines: %v", afterErr)
	} else {
		v.Add("server timeout counters", dHS == up.Peers && dFT == fr.Peers,
			"handshake_timeouts +%d (want %d), frame_timeouts +%d (want %d)", dHS, up.Peers, dFT, fr.Peers)
	}
	return f, v, nil
}

// settleStats polls /debug/stats until the server reports at most conns
// connections, or timeout passes; it returns the last reading.
func settleStats(ctx context.Context, statsURL string, conns int64, timeout time.Duration) server.Stats {
	deadline := time.Now().Add(timeout)
	for {
		d, err := measure.FetchStats(ctx, statsURL)
		if (err == nil && int64(d.Connections) <= conns) || time.Now().After(deadline) || ctx.Err() != nil {
			return d
		}
		select {
		case <-ctx.Done():
			return d
		case <-time.After(100 * time.Millisecond):
		}
	}
}
