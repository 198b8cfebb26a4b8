package server

import (
	"io"
	"net/netip"
	"os"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/proto/wire"
)

// newTestServer is a server that is never started: enough for Conns made
// over socket pairs.
func newTestServer(tb testing.TB) *Server {
	tb.Helper()
	hub := game.NewHub(game.HubConfig{})
	s, err := New(Config{Hub: hub, Workers: 1})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.wheel.close(); _ = s.httpLn.Close(); s.poller.close(); hub.Close() })
	return s
}

// socketPair returns an open Conn on one end of a kernel socket pair and a
// blocking file for the other end.
func socketPair(tb testing.TB, s *Server) (*Conn, *os.File) {
	tb.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		tb.Fatal(err)
	}
	if err := unix.SetNonblock(fds[1], false); err != nil {
		tb.Fatal(err)
	}
	c := newConn(s, fds[0], netip.AddrPort{})
	c.state = stateOpen
	peer := os.NewFile(uintptr(fds[1]), "peer")
	tb.Cleanup(func() { c.finalClose(); peer.Close() })
	return c, peer
}

// TestSnapshotLatestWins fills a peer's socket, then checks that queued
// snapshots are replaced by newer ones instead of piling up, and that the
// newest arrives whole once the peer reads.
func TestSnapshotLatestWins(t *testing.T) {
	s := newTestServer(t)
	c, peer := socketPair(t, s)
	msg := make([]byte, 1000)
	b := newTestLink()
	for i := range 2000 { // far more than the socket buffer holds
		msg[0] = byte(i)
		b.Broadcast(msg, []game.Receiver{{Peer: c, InputAck: uint32(i)}})
	}
	c.mu.Lock()
	pending, next := len(c.rest), c.next != nil
	c.mu.Unlock()
	if !next || pending > len(msg)+64 {
		t.Fatalf("pending %d bytes, next %v: want at most one partial frame plus the newest snapshot", pending, next)
	}
	if got := s.stats.snapshotsReplaced.Load(); got == 0 {
		t.Fatal("no snapshot was replaced")
	}
	// Drain the peer while flushing until the newest snapshot (ack 1999)
	// has arrived intact.
	done := make(chan []byte)
	go func() {
		all, _ := io.ReadAll(peer)
		done <- all
	}()
	for {
		c.mu.Lock()
		c.flushLocked()
		empty := len(c.rest) == 0 && c.next == nil
		c.mu.Unlock()
		if empty {
			break
		}
	}
	unix.Shutdown(c.fd, unix.SHUT_WR)
	all := <-done
	frame := len(msg) + wire.InputAckSize + 4 // 4-byte header for 1005 bytes
	if len(all)%frame != 0 {
		t.Fatalf("received %d bytes, not whole %d-byte frames", len(all), frame)
	}
	last := all[len(all)-frame:]
	ack := last[len(last)-4:]
	if got := uint32(ack[0]) | uint32(ack[1])<<8 | uint32(ack[2])<<16 | uint32(ack[3])<<24; got != 1999 {
		t.Fatalf("last snapshot acks %d, want 1999", got)
	}
}

// BenchmarkBroadcast measures one room tick's write to 50 receivers over
// real sockets: the cost per client per tick and that it does not allocate
// per client (one allocation per room per tick, the frame).
func BenchmarkBroadcast(b *testing.B) {
	s := newTestServer(b)
	const clients = 50
	to := make([]game.Receiver, clients)
	var wg sync.WaitGroup
	for i := range to {
		c, peer := socketPair(b, s)
		to[i] = game.Receiver{Peer: c, InputAck: uint32(i)}
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = io.Copy(io.Discard, peer) }()
	}
	msg := make([]byte, 400) // about a 50-player movers snapshot
	bc := newTestLink()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		bc.Broadcast(msg, to)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*clients), "ns/client")
	for _, r := range to {
		r.Peer.(*Conn).finalClose()
	}
}

// newTestLink is a room link for Conns made over socket pairs.
func newTestLink() *roomLink { return NewLink().(*roomLink) }
