package reactor

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gobwas/ws"
	"golang.org/x/sys/unix"
)

// Raw sockets: the bots (and the baseline server) open their sockets with
// socket(2) themselves rather than through net.Dial or net.Listen, so that the only epoll watching them is ours (the
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

// Dial opens a non-blocking TCP connection from local (if valid, port 0)
// to remote and waits at most until deadline for it to be established.
// rcvbuf > 0 sets SO_RCVBUF first (it must precede connect to bound the
// advertised window).
func Dial(remote netip.AddrPort, local netip.Addr, rcvbuf int, deadline time.Time) (fd int, err error) {
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
// the calling goroutine (and its thread); only bounded dial and upgrade
// pools call it, through Dial and Conn.
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

// Conn is a blocking io.ReadWriter over a non-blocking fd with a
// deadline, for the HTTP upgrade and a handshake (gobwas does the
// protocol). It does not own FD.
type Conn struct {
	FD       int
	Deadline time.Time
}

func (c *Conn) Read(p []byte) (int, error) {
	for {
		n, err := unix.Read(c.FD, p)
		switch {
		case err == nil && n == 0 && len(p) > 0:
			return 0, io.EOF
		case err == nil:
			return n, nil
		case errors.Is(err, unix.EINTR):
		case errors.Is(err, unix.EAGAIN):
			if perr := pollFd(c.FD, unix.POLLIN, c.Deadline); perr != nil {
				return 0, perr
			}
		default:
			return 0, fmt.Errorf("read: %w", err)
		}
	}
}

func (c *Conn) Write(p []byte) (int, error) {
	done := 0
	for {
		n, err := Write(c.FD, p[done:])
		done += n
		if err != nil || done == len(p) {
			return done, err
		}
		if perr := pollFd(c.FD, unix.POLLOUT, c.Deadline); perr != nil {
			return done, perr
		}
	}
}

// Write writes what the socket takes now: n < len(p) with a nil error
// means the socket is full.
func Write(fd int, p []byte) (int, error) {
	done := 0
	for done < len(p) {
		n, err := unix.Write(fd, p[done:])
		if n > 0 {
			done += n
		}
		switch {
		case err == nil:
		case errors.Is(err, unix.EINTR):
		case errors.Is(err, unix.EAGAIN):
			return done, nil
		default:
			return done, fmt.Errorf("write: %w", err)
		}
	}
	return done, nil
}

// ResolveURL parses a ws:// URL and resolves its host to one address
// (port 80 when the URL names none).
func ResolveURL(wsURL string) (*url.URL, netip.AddrPort, error) {
	u, err := url.Parse(wsURL)
	if err != nil {
		return nil, netip.AddrPort{}, fmt.Errorf("url: %w", err)
	}
	hostport := u.Host
	if u.Port() == "" {
		hostport += ":80"
	}
	ap, err := Resolve(hostport)
	return u, ap, err
}

// Resolve resolves "host:port" to one address.
func Resolve(hostport string) (netip.AddrPort, error) {
	ta, err := net.ResolveTCPAddr("tcp", hostport)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("resolve %s: %w", hostport, err)
	}
	return ta.AddrPort(), nil
}

// Listen opens a non-blocking listening socket on ap and returns it with
// the address it got (ap may ask for port 0).
func Listen(ap netip.AddrPort) (int, netip.AddrPort, error) {
	family := unix.AF_INET
	if !ap.Addr().Unmap().Is4() {
		family = unix.AF_INET6
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, ap, fmt.Errorf("socket: %w", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		unix.Close(fd)
		return -1, ap, fmt.Errorf("SO_REUSEADDR: %w", err)
	}
	if err := unix.Bind(fd, sockaddr(ap)); err != nil {
		unix.Close(fd)
		return -1, ap, fmt.Errorf("bind %s: %w", ap, err)
	}
	if err := unix.Listen(fd, 4096); err != nil {
		unix.Close(fd)
		return -1, ap, fmt.Errorf("listen: %w", err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return -1, ap, fmt.Errorf("getsockname: %w", err)
	}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		ap = netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		ap = netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port))
	}
	return fd, ap, nil
}

// ShortErr turns an error into a short, countable reason: errno names,
// "timeout", HTTP statuses; otherwise the message, cut.
func ShortErr(err error) string {
	var errno unix.Errno
	var status ws.StatusError
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.As(err, &errno):
		if name := unix.ErrnoName(errno); name != "" {
			return name
		}
		return errno.Error()
	case errors.As(err, &status):
		return "HTTP " + strconv.Itoa(int(status))
	}
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && len(s)-i > 8 {
		s = s[i+2:]
	}
	if len(s) > 60 {
		s = s[:60]
	}
	return s
}
