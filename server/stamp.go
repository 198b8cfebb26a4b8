package server

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Kernel receive timestamps. A player's Ping waits in its socket until the
// room's next tick reads it; the Pong says how long (Pong.hold_us), so
// that the client's round trip stays exact. The wait is measured from the
// kernel's receive time of the bytes (SO_TIMESTAMPNS, switched on for
// every socket at accept), taken with the read itself: recvmsg returns the
// time of the newest segment it read.

// stampBufSize holds one SCM_TIMESTAMPNS control message.
const stampBufSize = 64

// enableStamps asks the kernel to timestamp what fd receives.
func enableStamps(fd int) {
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
}

// stampedRead reads like unix.Read and returns the kernel's receive time
// of the bytes (Unix nanoseconds), or 0 when it gave none.
func stampedRead(fd int, p []byte) (n int, arrived int64, err error) {
	var oob [stampBufSize]byte
	var iov unix.Iovec
	if len(p) > 0 {
		iov.Base = &p[0]
		iov.SetLen(len(p))
	}
	msg := unix.Msghdr{Iov: &iov, Iovlen: 1, Control: &oob[0]}
	msg.SetControllen(len(oob))
	r, _, errno := unix.Syscall(unix.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(&msg)), 0)
	if errno != 0 {
		return 0, 0, errno
	}
	return int(r), parseStamp(oob[:msg.Controllen]), nil
}

// parseStamp finds SCM_TIMESTAMPNS among control messages without
// allocating (unix.ParseSocketControlMessage would).
func parseStamp(b []byte) int64 {
	const hdr = unix.SizeofCmsghdr
	for len(b) >= hdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
		l := int(h.Len)
		if l < hdr || l > len(b) {
			return 0
		}
		if h.Level == unix.SOL_SOCKET && h.Type == unix.SCM_TIMESTAMPNS && l >= hdr+16 {
			sec := int64(binary.NativeEndian.Uint64(b[hdr:]))
			nsec := int64(binary.NativeEndian.Uint64(b[hdr+8:]))
			return sec*1e9 + nsec
		}
		next := cmsgAlign(l)
		if next >= len(b) {
			return 0
		}
		b = b[next:]
	}
	return 0
}

func cmsgAlign(n int) int {
	const a = int(unsafe.Sizeof(uintptr(0)))
	return (n + a - 1) &^ (a - 1)
}
