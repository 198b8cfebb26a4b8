package server

import (
	"bytes"
	"errors"
	"io"
	"net/http"

	"github.com/gobwas/ws"
	"golang.org/x/sys/unix"
)

var (
	headEnd               = []byte("\r\n\r\n")
	errResponseIncomplete = errors.New("socket did not take the whole handshake response")
)

// readHead reads the HTTP request head on readiness. A peer that sends
// half a head holds no worker: the bytes wait in c.head (bounded by
// maxHeadBytes, checked on every read) and the handshake deadline closes
// the connection if the rest never comes.
func (c *Conn) readHead(buf []byte) (more bool) {
	for range maxReadsPerTurn {
		n, err := c.read(buf, false)
		if n > 0 {
			c.head = append(c.head, buf[:n]...)
			end := bytes.Index(c.head, headEnd)
			if end < 0 && len(c.head) > maxHeadBytes || end+len(headEnd) > maxHeadBytes {
				c.srv.stats.handshakeErrors.Add(1)
				c.rejectHTTP("431 Request Header Fields Too Large")
				return false
			}
			if end >= 0 {
				c.route(end + len(headEnd))
				return false
			}
		}
		switch {
		case err == unix.EAGAIN:
			return false
		case err != nil || n == 0:
			c.finalClose()
			return false
		}
	}
	return true
}

// route sends a complete request head to the WebSocket upgrade or, for any
// other path, to net/http together with the bytes read so far.
func (c *Conn) route(end int) {
	if requestPath(c.head) != c.srv.cfg.WSPath {
		c.srv.handOff(c)
		return
	}
	head, extra := c.head[:end], c.head[end:]
	u := c.srv.upgrader()
	_, err := u.Upgrade(&handshakeIO{r: bytes.NewReader(head), c: c})
	if err != nil {
		// The upgrader has written the HTTP error response.
		if errors.Is(err, errOriginRefused) {
			c.srv.stats.originRejected.Add(1)
		} else {
			c.srv.stats.handshakeErrors.Add(1)
		}
		c.srv.log.Debug("websocket upgrade refused", c.logArgs("err", err)...)
		c.mu.Lock()
		c.state = stateClosing
		c.flushLocked()
		c.since = c.srv.wheel.now()
		c.srv.wheel.arm(c, c.since+int64(c.srv.cfg.CloseTimeout))
		c.mu.Unlock()
		return
	}
	c.mu.Lock()
	if c.state == stateHandshake {
		c.state = stateOpen
		c.since = c.srv.wheel.now()
		c.srv.wheel.arm(c, c.since+int64(c.srv.cfg.HelloTimeout))
	}
	c.mu.Unlock()
	c.head = nil
	c.srv.stats.upgraded.Add(1)
	if len(extra) > 0 {
		// Frames sent right behind the request, without waiting for 101.
		used := c.processFrames(extra)
		c.keepPartial(extra[used:])
	}
}

// rejectHTTP answers a bad request head and closes.
func (c *Conn) rejectHTTP(status string) {
	c.mu.Lock()
	if c.state == stateHandshake {
		c.writeLocked([]byte("HTTP/1.1 " + status + "\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"))
		c.state = stateClosing
		c.flushLocked()
		c.since = c.srv.wheel.now()
		c.srv.wheel.arm(c, c.since+int64(c.srv.cfg.CloseTimeout))
	}
	c.mu.Unlock()
}

// requestPath returns the path of the request line, without the query.
func requestPath(head []byte) string {
	line, _, _ := bytes.Cut(head, []byte("\r\n"))
	_, rest, ok := bytes.Cut(line, []byte(" "))
	if !ok {
		return ""
	}
	target, _, _ := bytes.Cut(rest, []byte(" "))
	path, _, _ := bytes.Cut(target, []byte("?"))
	return string(path)
}

// handshakeIO lets ws.Upgrader read the head we already have and write
// its response straight to the socket. A fresh socket's send buffer always
// holds the ~200-byte response, so the write never has to wait.
type handshakeIO struct {
	r *bytes.Reader
	c *Conn
}

func (h *handshakeIO) Read(p []byte) (int, error) { return h.r.Read(p) }

func (h *handshakeIO) Write(p []byte) (int, error) {
	h.c.mu.Lock()
	defer h.c.mu.Unlock()
	if h.c.state != stateHandshake {
		return 0, io.ErrClosedPipe
	}
	n := h.c.writeLocked(p)
	if n < len(p) {
		return max(n, 0), errResponseIncomplete
	}
	return n, nil
}

// errOriginRefused is the upgrade error of a page from another origin.
var errOriginRefused = ws.RejectConnectionError(
	ws.RejectionStatus(http.StatusForbidden),
	ws.RejectionReason("origin not allowed"),
)

// upgrader returns a WebSocket upgrader for one request. The request head
// is already in memory, so its buffers only need to hold it. Its callbacks
// collect Host and Origin, and refuse a browser page of another origin
// before the 101 is written (its Origin header names the page).
func (s *Server) upgrader() ws.Upgrader {
	var host, origin []byte
	return ws.Upgrader{
		ReadBufferSize:  maxHeadBytes,
		WriteBufferSize: 512,
		OnHost: func(h []byte) error {
			host = append(host[:0], h...)
			return nil
		},
		OnHeader: func(key, value []byte) error {
			if bytes.EqualFold(key, []byte("Origin")) {
				origin = append(origin[:0], value...)
			}
			return nil
		},
		OnBeforeUpgrade: func() (ws.HandshakeHeader, error) {
			if origin != nil && !s.origins.allows(string(origin), string(host)) {
				return nil, errOriginRefused
			}
			return nil, nil
		},
	}
}
