package reactor

import (
	"bytes"
	"testing"

	"golang.org/x/sys/unix"
)

// A backlog keeps whole frames the socket did not take, refuses what
// would pass its limit, and flushes in order once the peer reads.
func TestBacklogKeepsWholeFramesInOrder(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	if err := unix.SetsockoptInt(fds[0], unix.SOL_SOCKET, unix.SO_SNDBUF, 4096); err != nil {
		t.Fatal(err)
	}
	var b Backlog
	var sent []byte
	frame := bytes.Repeat([]byte{0}, 1000)
	for i := 0; b.Len() == 0; i++ {
		if i > 10000 {
			t.Fatal("the socket never filled")
		}
		frame[0] = byte(i)
		if ok, err := b.Write(fds[0], frame, 3000); !ok || err != nil {
			t.Fatalf("frame %d: %v %v", i, ok, err)
		}
		sent = append(sent, frame...)
	}
	ok, err := b.Write(fds[0], frame, b.Len()+len(frame)-1)
	if ok || err != nil {
		t.Fatalf("a frame past the limit: %v %v", ok, err)
	}
	var got []byte
	buf := make([]byte, 64<<10)
	for len(got) < len(sent) {
		n, err := unix.Read(fds[1], buf)
		if n > 0 {
			got = append(got, buf[:n]...)
		}
		if err != nil && err != unix.EAGAIN {
			t.Fatal(err)
		}
		if err := b.Flush(fds[0]); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got, sent) || b.Len() != 0 {
		t.Fatalf("read %d bytes of %d sent, %d still kept", len(got), len(sent), b.Len())
	}
}
