package server

import (
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/mailru/easygo/netpoll"
	"golang.org/x/sys/unix"
)

// acceptBackoff is how long the accept loop pauses when the process is
// out of file descriptors, instead of spinning.
const acceptBackoff = 50 * time.Millisecond

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

	for {
		for {
			fd, sa, err := unix.Accept4(lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
			if err == nil {
				s.accepted(fd, sa)
				continue
			}
			if err == unix.EAGAIN {
				break
			}
			if err == unix.EINTR || err == unix.ECONNABORTED {
				continue
			}
			if err == unix.EMFILE || err == unix.ENFILE || err == unix.ENOBUFS || err == unix.ENOMEM {
				s.stats.acceptErrors.Add(1)
				s.log.Warn("accept failed, backing off", "err", err)
				select {
				case <-time.After(acceptBackoff):
					continue
				case <-s.done:
					return nil
				}
			}
			return fmt.Errorf("server: accept: %w", err)
		}
		select {
		case <-wake:
		case <-s.done:
			return nil
		}
	}
}

// accepted sets up a new connection: it starts in the handshake state with
// its handshake deadline armed.
func (s *Server) accepted(fd int, sa unix.Sockaddr) {
	c := newConn(s, fd, sockaddrToAddrPort(sa))
	if !s.track(c) {
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
	c.mu.Lock()
	c.armTimer(s.cfg.HandshakeTimeout)
	c.mu.Unlock()
	if err := s.poller.add(c); err != nil {
		s.log.Error("register connection", "err", err)
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
