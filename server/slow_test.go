package server_test

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"golang.org/x/sys/unix"

	"github.com/skirmishgg/skirmish/server"
)

// kickedAsSlow waits, without reading, until the server has closed c as
// too slow, then reads what had reached c to the end of the stream. No
// close frame can reach a peer that does not read, so none is expected.
func kickedAsSlow(t *testing.T, ts *testServer, c *client) {
	t.Helper()
	waitFor(t, 10*time.Second, "the server to close the slow client", func() bool { return ts.srv.Stats().SlowClosed > 0 })
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
	waitFor(t, 10*time.Second, "a snapshot held back: the slow client's socket full", func() bool { return ts.srv.Stats().SnapshotsReplaced > 0 })
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
		pings = append(pings, maskedFrame(ws.OpBinary, true, pingMsg(t, uint64(i)))...)
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
