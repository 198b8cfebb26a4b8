package server

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/mailru/easygo/netpoll"
	"golang.org/x/sys/unix"
)

// Accept back-off: after a failed accept the loop waits, doubling from
// acceptBackoffMin to acceptBackoffMax, instead of spinning while the
// process is out of file descriptors or memory.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
)

// acceptLoop accepts connections as raw non-blocking fds. Go's listener
// cannot wait for readiness on our behalf (its raw Read is refused), so a
// duplicate of the listening fd joins our epoll, whose callback wakes
// this loop. Accepted sockets never enter Go's poller, only ours: one fd
// and no runtime state per connection.
func (s *Server) acceptLoop(ln *net.TCPListener) error {
	rc, err := ln.SyscallConn()
	if err != nil {
		return fmt.Errorf("server: listener fd: %w", err)
	}
	lfd := -1
	var dupErr error
	if err := rc.Control(func(fd uintptr) {
		lfd, dupErr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return fmt.Errorf("server: listener fd: %w", err)
	}
	if dupErr != nil {
		return fmt.Errorf("server: dup listener fd: %w", dupErr)
	}
	defer unix.Close(lfd)

	wake := make(chan struct{}, 1)
	if err := s.poller.ep.Add(lfd, netpoll.EPOLLIN|netpoll.EPOLLET, func(netpoll.EpollEvent) {
		select {
		case wake <- struct{}{}:
		default: // a wake-up is already pending
		}
	}); err != nil {
		return fmt.Errorf("server: watch listener: %w", err)
	}
	defer s.poller.del(lfd)

	backoff := time.Duration(0)
	for {
		fd, sa, err := unix.Accept4(lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		switch {
		case err == nil:
			backoff = 0
			s.accepted(fd, sa)
			continue
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			select {
			case <-wake:
				continue
			case <-s.done:
				return nil
			}
		case fatalAcceptError(err):
			select {
			case <-s.done:
				return nil // the listener was closed by Shutdown
			default:
			}
			return fmt.Errorf("server: accept: %w", err)
		}
		// Anything else (EMFILE, ENFILE, ENOBUFS, ENOMEM, ECONNABORTED,
		// EPROTO, a network error on the new connection) is transient.
		s.stats.acceptErrors.Add(1)
		backoff = min(max(2*backoff, acceptBackoffMin), acceptBackoffMax)
		s.limited.warn("accept failed, backing off", "err", err, "backoff", backoff)
		select {
		case <-time.After(backoff):
		case <-s.done:
			return nil
		}
	}
}

// fatalAcceptError reports errors that mean the listener itself is gone.
func fatalAcceptError(err error) bool {
	return errors.Is(err, unix.EBADF) || errors.Is(err, unix.EINVAL) ||
		errors.Is(err, unix.ENOTSOCK) || errors.Is(err, unix.EOPNOTSUPP)
}

// accepted sets up a new connection: it starts in the handshake state with
// its handshake deadline armed.
func (s *Server) accepted(fd int, sa unix.Sockaddr) {
	c := newConn(s, fd, sockaddrToAddrPort(sa))
	switch s.track(c) {
	case acceptOK:
	case rejectPerIP:
		s.stats.rejectedPerIP.Add(1)
		_ = unix.Close(fd)
		return
	default:
		s.stats.rejected.Add(1)
		_ = unix.Close(fd)
		return
	}
	s.stats.accepted.Add(1)
	// Snapshots are small and latency matters more than packet count.
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	if s.cfg.SendBuffer > 0 {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, s.cfg.SendBuffer)
	}
	enableStamps(fd)
	if s.cfg.TCPUserTimeout > 0 {
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, int(s.cfg.TCPUserTimeout.Milliseconds()))
	}
	now := s.wheel.now()
	c.since = now
	c.lastRead.Store(now)
	s.wheel.arm(c, now+int64(s.cfg.HandshakeTimeout))
	if err := s.poller.add(c); err != nil {
		s.log.Error("register connection", c.logArgs("err", err)...)
		c.finalClose()
	}
}

func sockaddrToAddrPort(sa unix.Sockaddr) netip.AddrPort {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port))
	}
	return netip.AddrPort{}
}
