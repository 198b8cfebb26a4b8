package server

import "sync"

// runQueue is the FIFO of connections waiting for a worker. It is an
// intrusive list through Conn.nextQueued, so it has no capacity to fill:
// a connection is in it at most once (its ready counter admits one entry),
// and pushing never blocks, not even a worker pushing back a connection
// that used up its read budget while every other worker is busy. Its
// length is bounded by the connections the server has open or is closing.
type runQueue struct {
	mu         sync.Mutex
	cond       sync.Cond
	head, tail *Conn
	n          int
	closed     bool
}

func newRunQueue() *runQueue {
	q := &runQueue{}
	q.cond.L = &q.mu
	return q
}

// push appends c and wakes one waiting worker.
func (q *runQueue) push(c *Conn) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	c.nextQueued = nil
	if q.tail == nil {
		q.head = c
	} else {
		q.tail.nextQueued = c
	}
	q.tail = c
	q.n++
	q.mu.Unlock()
	q.cond.Signal()
}

// pop waits for a connection; ok is false once the queue is closed.
func (q *runQueue) pop() (c *Conn, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.head == nil && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return nil, false
	}
	c = q.head
	q.head = c.nextQueued
	if q.head == nil {
		q.tail = nil
	}
	c.nextQueued = nil
	q.n--
	return c, true
}

// len is the number of queued connections.
func (q *runQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// close wakes every waiting worker and makes pop return false.
func (q *runQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.head, q.tail, q.n = nil, nil, 0
	q.mu.Unlock()
	q.cond.Broadcast()
}
