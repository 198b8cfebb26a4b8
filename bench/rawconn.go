package bench

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Raw sockets: the bots open their sockets with socket(2) themselves rather
// than through net.Dial, so that the only epoll watching them is ours (the
// Go runtime's poller never sees them) and each connection is exactly one
// fd, owned and closed by us.

// sockaddr converts an address to the unix form.
func sockaddr(ap netip.AddrPort) unix.Sockaddr {
	a := ap.Addr().Unmap()
	if a.Is4() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: a.As4()}
	}
	return &unix.SockaddrInet6{Port: int(ap.Port()), Addr: a.As16()}
}

// dialRaw opens a non-blocking TCP connection from local (if valid, port 0)
// to remote and waits at most until deadline for it to be established.
// rcvbuf > 0 sets SO_RCVBUF first (it must precede connect to bound the
// advertised window).
func dialRaw(remote netip.AddrPort, local netip.Addr, rcvbuf int, deadline time.Time) (fd int, err error) {
	family := unix.AF_INET
	if !remote.Addr().Unmap().Is4() {
		family = unix.AF_INET6
	}
	fd, err = unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}
	defer func() {
		if err != nil {
			unix.Close(fd)
			fd = -1
		}
	}()
	if err = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
		return fd, fmt.Errorf("set TCP_NODELAY: %w", err)
	}
	if rcvbuf > 0 {
		if err = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, rcvbuf); err != nil {
			return fd, fmt.Errorf("set SO_RCVBUF: %w", err)
		}
	}
	if local.IsValid() {
		// Let connect() pick the port knowing the whole 4-tuple: a plain
		// bind(port 0) searches the port space per call (slow) and cannot
		// reuse a port towards another destination.
		if family == unix.AF_INET {
			if err = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1); err != nil {
				return fd, fmt.Errorf("set IP_BIND_ADDRESS_NO_PORT: %w", err)
			}
		}
		if err = unix.Bind(fd, sockaddr(netip.AddrPortFrom(local, 0))); err != nil {
			return fd, fmt.Errorf("bind %s: %w", local, err)
		}
	}
	err = unix.Connect(fd, sockaddr(remote))
	if err == nil {
		return fd, nil
	}
	if !errors.Is(err, unix.EINPROGRESS) && !errors.Is(err, unix.EINTR) {
		return fd, fmt.Errorf("connect %s: %w", remote, err)
	}
	if err = pollFd(fd, unix.POLLOUT, deadline); err != nil {
		return fd, fmt.Errorf("connect %s: %w", remote, err)
	}
	soErr, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return fd, fmt.Errorf("connect %s: getsockopt SO_ERROR: %w", remote, err)
	}
	if soErr != 0 {
		return fd, fmt.Errorf("connect %s: %w", remote, unix.Errno(soErr))
	}
	return fd, nil
}

// pollFd waits until fd is ready for events or deadline passes. It blocks
// the calling goroutine (and its thread); only the bounded dial pool and the
// baseline's upgrade pool call it.
func pollFd(fd int, events int16, deadline time.Time) error {
	for {
		wait := time.Until(deadline)
		if wait <= 0 {
			return os.ErrDeadlineExceeded
		}
		ms := int(wait / time.Millisecond)
		if ms == 0 {
			ms = 1
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: events}}
		n, err := unix.Poll(fds, ms)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("poll: %w", err)
		}
		if n > 0 {
			return nil
		}
	}
}

// fdConn is a blocking io.ReadWriter over a non-blocking fd with a
// deadline, for the HTTP upgrade only (gobwas does the protocol). It does
// not own fd.
type fdConn struct {
	fd       int
	deadline time.Time
}

func (c *fdConn) Read(p []byte) (int, error) {
	for {
		n, err := unix.Read(c.fd, p)
		switch {
		case err == nil && n == 0 && len(p) > 0:
			return 0, io.EOF
		case err == nil:
			return n, nil
		case errors.Is(err, unix.EINTR):
		case errors.Is(err, unix.EAGAIN):
			if perr := pollFd(c.fd, unix.POLLIN, c.deadline); perr != nil {
				return 0, perr
			}
		default:
			return 0, fmt.Errorf("read: %w", err)
		}
	}
}

func (c *fdConn) Write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		n, err := unix.Write(c.fd, p[done:])
		if n > 0 {
			done += n
		}
		switch {
		case err == nil:
		case errors.Is(err, unix.EINTR):
		case errors.Is(err, unix.EAGAIN):
			if perr := pollFd(c.fd, unix.POLLOUT, c.deadline); perr != nil {
				return done, perr
			}
		default:
			return done, fmt.Errorf("write: %w", err)
		}
	}
	return done, nil
}

// resolveHostPort resolves "host:port" to one address.
func resolveHostPort(hostport string) (netip.AddrPort, error) {
	ta, err := net.ResolveTCPAddr("tcp", hostport)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("resolve %s: %w", hostport, err)
	}
	return ta.AddrPort(), nil
}
