package server

import (
	"net"
	"net/netip"
	"os"
	"sync"
)

// handOff gives a connection whose request is not a WebSocket upgrade to
// net/http, with the bytes already read. The fd leaves our epoll; net/http
// gets its own duplicate in Go's poller (HTTP requests are rare next to
// game traffic, and each gets a fresh connection). The connection keeps
// its place under MaxConns and its address's MaxConnsPerIP until net/http
// closes it, and at most MaxHTTPConns are served at once.
func (s *Server) handOff(c *Conn) {
	c.mu.Lock()
	if c.state != stateHandshake {
		c.mu.Unlock()
		return
	}
	if !s.moveToHTTP(c) {
		c.mu.Unlock()
		s.stats.httpRejected.Add(1)
		c.rejectHTTP("503 Service Unavailable")
		return
	}
	c.state = stateClosed
	s.wheel.disarm(c)
	s.poller.del(c.fd)
	f := os.NewFile(uintptr(c.fd), "http")
	nc, err := net.FileConn(f) // dups the fd
	_ = f.Close()
	c.mu.Unlock()
	if err != nil {
		s.httpClosed(c.remote.Addr())
		s.limited.warn("hand off http connection", c.logArgs("err", err)...)
		return
	}
	prefix := c.head
	c.head = nil
	hc := &httpConn{Conn: nc, prefix: prefix, srv: s, remote: c.remote.Addr()}
	if !s.httpLn.push(hc) {
		s.stats.httpRejected.Add(1)
		_, _ = nc.Write([]byte("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"))
		_ = hc.Close()
	}
}

// httpConn is a connection net/http serves: its first reads return bytes
// read before the hand-off, and closing it gives its slot back.
type httpConn struct {
	net.Conn
	prefix []byte
	srv    *Server
	remote netip.Addr
	once   sync.Once
}

func (h *httpConn) Read(b []byte) (int, error) {
	if len(h.prefix) > 0 {
		n := copy(b, h.prefix)
		h.prefix = h.prefix[n:]
		return n, nil
	}
	return h.Conn.Read(b)
}

func (h *httpConn) Close() error {
	err := h.Conn.Close()
	h.once.Do(func() { h.srv.httpClosed(h.remote) })
	return err
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

// Close stops Accept; connections still queued are closed, so their slots
// come back.
func (l *handoffListener) Close() error {
	l.closeOnce.Do(func() {
		close(l.done)
		for {
			select {
			case c := <-l.conns:
				_ = c.Close()
			default:
				return
			}
		}
	})
	return nil
}

func (l *handoffListener) Addr() net.Addr { return &net.TCPAddr{} }
