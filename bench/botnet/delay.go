package botnet

import "sync"

// delayQueue holds frames for -latency: every frame waits the same delay,
// so the queue is a FIFO ring ordered by due time. Producers are the
// sender and the workers; the sender pops. It is bounded: a push beyond
// limit is refused (and counted by the caller).
type delayQueue struct {
	mu    sync.Mutex
	ring  []delayed
	head  int
	n     int
	limit int
}

// delayed is one held frame. Small frames (inputs) are stored inline so
// that holding them allocates nothing.
type delayed struct {
	b     *bot
	due   int64
	n     int
	small [64]byte
	big   []byte
}

func (d *delayed) frame() []byte {
	if d.big != nil {
		return d.big
	}
	return d.small[:d.n]
}

func newDelayQueue(limit int) *delayQueue {
	return &delayQueue{limit: max(limit, 16)}
}

// push queues frame for b, due at due. It copies frame.
func (q *delayQueue) push(b *bot, due int64, frame []byte) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n == len(q.ring) {
		if q.n >= q.limit {
			return false
		}
		q.grow()
	}
	d := &q.ring[(q.head+q.n)%len(q.ring)]
	d.b, d.due, d.n = b, due, len(frame)
	if len(frame) <= len(d.small) {
		copy(d.small[:], frame)
		d.big = nil
	} else {
		d.big = append([]byte(nil), frame...)
	}
	q.n++
	return true
}

func (q *delayQueue) grow() {
	size := min(max(2*len(q.ring), 64), q.limit)
	ring := make([]delayed, size)
	for i := range q.n {
		ring[i] = q.ring[(q.head+i)%len(q.ring)]
	}
	q.ring, q.head = ring, 0
}

// popDue moves up to len(out) entries due at or before now into out and
// returns them, plus the due time of the next remaining entry (or -1).
// The caller writes them after the lock is released.
func (q *delayQueue) popDue(now int64, out []delayed) (got []delayed, next int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	got = out[:0]
	for q.n > 0 && len(got) < cap(out) {
		d := &q.ring[q.head]
		if d.due > now {
			break
		}
		got = append(got, *d)
		*d = delayed{}
		q.head = (q.head + 1) % len(q.ring)
		q.n--
	}
	next = -1
	if q.n > 0 {
		next = q.ring[q.head].due
	}
	return got, next
}

// len is the number of held frames.
func (q *delayQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}
