package server_test

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/proto"

	"github.com/skirmishgg/skirmish/game"
	"github.com/skirmishgg/skirmish/game/movers"
	skirmishv1 "github.com/skirmishgg/skirmish/proto/skirmish/v1"
	"github.com/skirmishgg/skirmish/proto/wire"
	"github.com/skirmishgg/skirmish/server"
)

// crowdEntities is how many still entities a "crowd" room adds to its
// players: its full snapshots are several kilobytes, so a client that
// stops reading fills its socket within a few ticks.
const crowdEntities = 600

// crowdMode is movers plus crowdEntities entities that never move, with
// ids above any player's.
type crowdMode struct{ game.Mode }

func newCrowdMode(c game.ModeConfig) game.Mode { return crowdMode{movers.New(c)} }

func (crowdMode) Name() string { return "crowd" }

func (m crowdMode) AppendEntities(dst []wire.Entity) []wire.Entity {
	dst = m.Mode.AppendEntities(dst)
	for i := range int32(crowdEntities) {
		dst = append(dst, wire.Entity{ID: 1<<24 + uint32(i), Kind: wire.KindPlayer, X: i * 40, Y: i * 7, HP: 100})
	}
	return dst
}

// dialSlow connects a client whose socket buffers only a few kilobytes
// (SO_RCVBUF set before connecting turns autotuning off): once it stops
// reading, the server's writes back up within a few snapshots.
func dialSlow(t *testing.T, addr string) *client {
	t.Helper()
	d := ws.Dialer{NetDial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		nd := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 4096) })
			if err != nil {
				return err
			}
			return serr
		}}
		return nd.DialContext(ctx, network, addr)
	}}
	return dialWith(t, d, addr)
}

// kickedAsSlow waits, without reading, until the server has closed c as
// too slow, then reads what had reached c to the end of the stream. No
// close frame can reach a peer that does not read, so none is expected.
func kickedAsSlow(t *testing.T, ts *testServer, c *client) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for ts.srv.Stats().SlowClosed == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the server kept the slow client for 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	switch _, err := io.Copy(io.Discard, c.r); {
	case err == nil, errors.Is(err, unix.ECONNRESET):
	default:
		t.Fatalf("the slow client's connection is still open after the server counted it closed: %v", err)
	}
	if st := ts.srv.Stats(); st.SlowClosed != 1 || st.CloseCodes["1008"] != 1 {
		t.Fatalf("slow_closed %d, close code 1008 counted %d times; want 1 and 1", st.SlowClosed, st.CloseCodes["1008"])
	}
}

// waitForStalled waits until the server has had to hold back a snapshot
// for some client (it replaced an unsent one): that client's socket is
// full.
func waitForStalled(t *testing.T, ts *testServer) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for ts.srv.Stats().SnapshotsReplaced == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no snapshot was ever held back: the slow client's socket never filled")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// snapshotsGoOn checks that c still receives snapshots of advancing ticks.
func (c *client) snapshotsGoOn() {
	c.t.Helper()
	tick := func() uint32 {
		return c.until(5*time.Second, "snapshot", func(m *skirmishv1.ServerMessage) bool { return m.GetSnapshot() != nil }).GetSnapshot().Tick
	}
	if t1, t2 := tick(), tick(); t2 <= t1 {
		c.t.Fatalf("ticks did not advance: %d then %d", t1, t2)
	}
}

// TestSlowClientKickedAtPendingBytesCap: a client that stops reading while
// messages that may not be dropped (here Pongs) queue up behind a snapshot
// is closed once they pass MaxPendingBytes. The write-stall clock is out
// of the picture (an hour); a reading client in the same room goes on.
func TestSlowClientKickedAtPendingBytesCap(t *testing.T) {
	ts := startServer(t, server.Config{SendBuffer: 4096, MaxPendingBytes: 256, WriteStall: time.Hour})
	good, slow := dial(t, ts.addr), dialSlow(t, ts.addr)
	good.hello()
	good.join("good", "crowd", "crowd")
	slow.hello()
	slow.join("slow", "crowd", "crowd")
	waitForStalled(t, ts) // the slow client reads nothing from now on
	// Each Ping gets a Pong of about 20 bytes, queued behind the snapshot
	// that did not fit: a dozen pass the cap. One write: the server may
	// close the connection before it has read them all.
	var pings []byte
	for i := range 16 {
		b, err := proto.Marshal(&skirmishv1.ClientMessage{Msg: &skirmishv1.ClientMessage_Ping{Ping: &skirmishv1.Ping{ClientTimeUs: uint64(i)}}})
		if err != nil {
			t.Fatal(err)
		}
		pings = append(pings, maskedFrame(ws.OpBinary, true, b)...)
	}
	if _, err := slow.conn.Write(pings); err != nil {
		t.Fatal(err)
	}
	kickedAsSlow(t, ts, slow)
	good.snapshotsGoOn()
}

// TestSlowClientKickedAfterWriteStall: a client that stops reading
// snapshots (which replace each other, so nothing piles up) is closed once
// its bytes have waited WriteStall. A reading client in the same room goes
// on.
func TestSlowClientKickedAfterWriteStall(t *testing.T) {
	ts := startServer(t, server.Config{SendBuffer: 4096, WriteStall: 300 * time.Millisecond})
	good, slow := dial(t, ts.addr), dialSlow(t, ts.addr)
	good.hello()
	good.join("good", "crowd", "crowd")
	slow.hello()
	slow.join("slow", "crowd", "crowd")
	// The slow client reads nothing from now on.
	kickedAsSlow(t, ts, slow)
	good.snapshotsGoOn()
}
