package reactor

// Backlog is what a non-blocking socket did not take yet: whole frames
// are written or kept, never cut, so the stream stays valid, and EPOLLOUT
// tells the owner to Flush. Its owner bounds it (the limit of Write) and
// locks it: it is not safe for concurrent use.
type Backlog struct {
	buf []byte
}

// backlogKeep is the capacity above which an emptied backlog drops its
// buffer, so that a connection that was once slow does not keep it.
const backlogKeep = 4096

// Len is how many bytes wait.
func (b *Backlog) Len() int { return len(b.buf) }

// Reset forgets what waits.
func (b *Backlog) Reset() { b.buf = nil }

// Write writes p to fd behind what waits, and keeps what the socket does
// not take. It refuses p (false) when that would hold more than limit
// bytes.
func (b *Backlog) Write(fd int, p []byte, limit int) (bool, error) {
	if len(b.buf) > 0 {
		if len(b.buf)+len(p) > limit {
			return false, nil
		}
		b.buf = append(b.buf, p...)
		return true, b.Flush(fd)
	}
	n, err := Write(fd, p)
	if n < len(p) && err == nil {
		b.buf = append(b.buf[:0], p[n:]...)
	}
	return true, err
}

// Flush writes what waits, as much as the socket takes.
func (b *Backlog) Flush(fd int) error {
	if len(b.buf) == 0 {
		return nil
	}
	n, err := Write(fd, b.buf)
	rest := copy(b.buf, b.buf[n:])
	b.buf = b.buf[:rest]
	if rest == 0 && cap(b.buf) > backlogKeep {
		b.buf = nil
	}
	return err
}
