package server

import (
	"net"
	"os"
	"sync"
)

// handOff gives a connection whose request is not a WebSocket upgrade to
// net/http, with the bytes already read. The fd leaves our epoll; net/http
// gets its own duplicate in Go's poller (HTTP requests are rare next to
// game traffic, and each gets a fresh connection).
func (s *Server) handOff(c *Conn) {
	c.mu.Lock()
	if c.state != stateHandshake {
		c.mu.Unlock()
		return
	}
	c.state = stateClosed
	c.stopTimerLocked()
	s.poller.del(c.fd)
	f := os.NewFile(uintptr(c.fd), "http")
	nc, err := net.FileConn(f) // dups the fd
	_ = f.Close()
	c.mu.Unlock()
	s.forget(c)
	if err != nil {
		s.log.Warn("hand off http connection", "err", err)
		return
	}
	prefix := c.head
	c.head = nil
	if !s.httpLn.push(&prefixConn{Conn: nc, prefix: prefix}) {
		s.stats.rejected.Add(1)
		_, _ = nc.Write([]byte("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"))
		_ = nc.Close()
	}
}

// prefixConn is a net.Conn whose first reads return bytes read before
// the hand-off.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.prefix) > 0 {
		n := copy(b, p.prefix)
		p.prefix = p.prefix[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

// handoffListener is the net.Listener that net/http serves: Accept returns
// the connections handOff pushes.
type handoffListener struct {
	conns     chan net.Conn // bounded: httpBacklog
	done      chan struct{}
	closeOnce sync.Once
}

func newHandoffListener() *handoffListener {
	return &handoffListener{conns: make(chan net.Conn, httpBacklog), done: make(chan struct{})}
}

// push queues a connection; it reports false when the backlog is full or
// the listener closed.
func (l *handoffListener) push(c net.Conn) bool {
	select {
	case <-l.done:
		return false
	default:
	}
	select {
	case l.conns <- c:
		return true
	default:
		return false
	}
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *handoffListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return nil
}

func (l *handoffListener) Addr() net.Addr { return &net.TCPAddr{} }
