package server

import (
	"sync"
	"sync/atomic"
	"time"
)

// wheelSlot is the width of one slot of the deadline wheel: deadlines are
// enforced up to this late. wheelSlots × wheelSlot (about 100 s) is one
// turn; a deadline further out waits in its slot for more turns.
const (
	wheelSlot  = 50 * time.Millisecond
	wheelSlots = 2048
)

// wheel enforces the time limits of every connection (handshake, Hello,
// lobby idle, ping, incomplete frame, closing) with one goroutine and no
// timer or buffer per connection: each connection is linked into the slot
// of its next deadline through fields of its own (Conn.wheel*), and the
// wheel's goroutine walks one slot per wheelSlot. A connection has at most
// one deadline armed; when it comes, the connection decides what was due
// (Conn.onDeadline) and arms the next one.
type wheel struct {
	epoch time.Time // wheel time 0; deadlines are nanoseconds since
	fire  func(c *Conn, now int64)

	mu    sync.Mutex
	slots [wheelSlots]*Conn // list heads
	armed int
	next  int64 // start of the first slot not yet walked

	// walked is the wheel time of the last walk: a health check sees a
	// wheel that stopped.
	walked atomic.Int64

	stop chan struct{}
	done chan struct{}
}

func newWheel(fire func(c *Conn, now int64)) *wheel {
	return &wheel{epoch: time.Now(), fire: fire, stop: make(chan struct{}), done: make(chan struct{})}
}

// now is the wheel's clock: monotonic nanoseconds since its epoch.
func (w *wheel) now() int64 { return int64(time.Since(w.epoch)) }

// arm sets c's deadline to at (wheel time), replacing any earlier one. A
// deadline already past fires at the next walk.
func (w *wheel) arm(c *Conn, at int64) {
	w.mu.Lock()
	w.armLocked(c, at)
	w.mu.Unlock()
}

// armEarlier arms c's deadline at at unless an earlier one is armed.
func (w *wheel) armEarlier(c *Conn, at int64) {
	w.mu.Lock()
	if c.wheelAt == 0 || at < c.wheelAt {
		w.armLocked(c, at)
	}
	w.mu.Unlock()
}

func (w *wheel) armLocked(c *Conn, at int64) {
	if c.wheelAt != 0 {
		w.unlinkLocked(c)
	}
	c.wheelAt = max(at, w.next, 1)
	i := slotOf(c.wheelAt)
	c.wheelPrev, c.wheelNext = nil, w.slots[i]
	if c.wheelNext != nil {
		c.wheelNext.wheelPrev = c
	}
	w.slots[i] = c
	w.armed++
}

// disarm removes c's deadline, if any.
func (w *wheel) disarm(c *Conn) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c.wheelAt != 0 {
		w.unlinkLocked(c)
	}
}

func (w *wheel) unlinkLocked(c *Conn) {
	i := slotOf(c.wheelAt)
	if c.wheelPrev != nil {
		c.wheelPrev.wheelNext = c.wheelNext
	} else {
		w.slots[i] = c.wheelNext
	}
	if c.wheelNext != nil {
		c.wheelNext.wheelPrev = c.wheelPrev
	}
	c.wheelPrev, c.wheelNext, c.wheelAt = nil, nil, 0
	w.armed--
}

func slotOf(at int64) int { return int(at/int64(wheelSlot)) % wheelSlots }

// len is the number of armed deadlines.
func (w *wheel) len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.armed
}

// run walks the slots until close. Due connections are collected under the
// lock and fired after it, so fire may arm again.
func (w *wheel) run() {
	defer close(w.done)
	t := time.NewTicker(wheelSlot)
	defer t.Stop()
	var due []*Conn
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		now := w.now()
		w.walked.Store(now)
		due = w.collect(now, due[:0])
		for i, c := range due {
			w.fire(c, now)
			due[i] = nil
		}
	}
}

// collect unlinks and returns the connections whose deadline is at or
// before now. It walks every slot that has started by now; the slot that
// holds now is walked again next time, for the deadlines later in it.
func (w *wheel) collect(now int64, due []*Conn) []*Conn {
	w.mu.Lock()
	defer w.mu.Unlock()
	for walked := 0; w.next <= now; walked++ {
		if walked == wheelSlots {
			// Behind by a whole turn (the process was stopped): every
			// slot has been walked, so go on from now.
			w.next = now - now%int64(wheelSlot)
			return due
		}
		for c := w.slots[slotOf(w.next)]; c != nil; {
			next := c.wheelNext
			if c.wheelAt <= now {
				w.unlinkLocked(c)
				due = append(due, c)
			}
			c = next
		}
		if w.next+int64(wheelSlot) > now {
			break // the current slot: walk it again next time
		}
		w.next += int64(wheelSlot)
	}
	return due
}

// close stops the goroutine and waits for it.
func (w *wheel) close() {
	close(w.stop)
	<-w.done
}
