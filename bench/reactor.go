package bench

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/mailru/easygo/netpoll"

	"github.com/skirmishgg/skirmish/bench/diag"
)

// The reactor is the read side shared by the bots and the baseline server:
// one easygo epoll (raw-fd API: no conn.File(), no dup, one fd per socket),
// edge-triggered, whose callbacks only hand the item to a small pool of
// worker goroutines through a bounded queue. A worker drains the socket
// until EAGAIN. No goroutine exists per connection.

// pollItem is one registered socket.
type pollItem interface {
	readiness() *readiness
	// serve runs on one worker at a time; it reads the events that the
	// callback stored and drains the socket.
	serve(w *worker)
}

// readiness is the per-item hand-off state between the epoll callback and
// the workers. run guarantees that an item sits in the queue at most once
// and that at most one worker serves it; events accumulates what epoll
// reported since the last serve.
type readiness struct {
	run    atomic.Int32
	events atomic.Uint32
}

const (
	runIdle   = 0 // not queued
	runQueued = 1 // queued or being served
	runAgain  = 2 // being served, and woken again meanwhile
)

// takeEvents returns and clears the stored epoll events.
func (r *readiness) takeEvents() netpoll.EpollEvent {
	return netpoll.EpollEvent(r.events.Swap(0))
}

// worker is one reader goroutine's context.
type worker struct {
	id  int
	buf []byte // read buffer, reused for every read
}

type reactor struct {
	ep      *netpoll.Epoll
	ready   chan pollItem
	calls   []chan func(*worker)
	stop    chan struct{}
	wg      sync.WaitGroup
	dropped atomic.Int64 // wake-ups lost to a full queue (must stay 0)
	closed  atomic.Bool
}

// pollEvents is what every item listens to: edge-triggered, so a reader
// must drain, and EPOLLOUT tells a writer with pending bytes to go on.
const pollEvents = netpoll.EPOLLIN | netpoll.EPOLLOUT | netpoll.EPOLLRDHUP | netpoll.EPOLLET

// newReactor starts the epoll and n workers. capacity bounds the ready
// queue and must be at least the number of items ever registered at once
// (each item is queued at most once).
func newReactor(n, capacity, bufSize int) (*reactor, error) {
	ep, err := netpoll.EpollCreate(&netpoll.EpollConfig{
		OnWaitError: func(err error) { diag.Logf("epoll wait: %v", err) },
	})
	if err != nil {
		return nil, fmt.Errorf("epoll create: %w", err)
	}
	r := &reactor{
		ep:    ep,
		ready: make(chan pollItem, capacity),
		stop:  make(chan struct{}),
	}
	for i := range n {
		w := &worker{id: i, buf: make([]byte, bufSize)}
		calls := make(chan func(*worker))
		r.calls = append(r.calls, calls)
		r.wg.Add(1)
		go r.work(w, calls)
	}
	return r, nil
}

func (r *reactor) work(w *worker, calls chan func(*worker)) {
	defer r.wg.Done()
	for {
		select {
		case <-r.stop:
			return
		case fn := <-calls:
			fn(w)
		case it := <-r.ready:
			rd := it.readiness()
			for {
				it.serve(w)
				if rd.run.CompareAndSwap(runAgain, runQueued) {
					continue
				}
				if rd.run.CompareAndSwap(runQueued, runIdle) {
					break
				}
			}
		}
	}
}

// add registers fd; epoll events for it wake it.
func (r *reactor) add(fd int, it pollItem) error {
	rd := it.readiness()
	err := r.ep.Add(fd, pollEvents, func(ev netpoll.EpollEvent) {
		rd.events.Or(uint32(ev))
		r.wake(it)
	})
	if err != nil {
		return fmt.Errorf("epoll add fd %d: %w", fd, err)
	}
	return nil
}

// del unregisters fd; call it before closing fd.
func (r *reactor) del(fd int) error {
	if err := r.ep.Del(fd); err != nil && !errors.Is(err, netpoll.ErrNotRegistered) && !errors.Is(err, netpoll.ErrClosed) {
		return fmt.Errorf("epoll del fd %d: %w", fd, err)
	}
	return nil
}

// wake queues it for a worker unless it is already queued; it never blocks.
func (r *reactor) wake(it pollItem) {
	rd := it.readiness()
	for {
		switch rd.run.Load() {
		case runIdle:
			if rd.run.CompareAndSwap(runIdle, runQueued) {
				select {
				case r.ready <- it:
				default:
					rd.run.Store(runIdle)
					r.dropped.Add(1)
				}
				return
			}
		case runQueued:
			if rd.run.CompareAndSwap(runQueued, runAgain) {
				return
			}
		default:
			return
		}
	}
}

// onWorkers runs fn on every worker goroutine, one after the other, and
// returns when all have run it: the way to read or reset per-worker state.
func (r *reactor) onWorkers(fn func(*worker)) {
	done := make(chan struct{})
	for _, c := range r.calls {
		select {
		case c <- func(w *worker) { fn(w); done <- struct{}{} }:
			<-done
		case <-r.stop:
			return
		}
	}
}

// stopWorkers ends the worker goroutines and waits for them.
func (r *reactor) stopWorkers() {
	if r.closed.CompareAndSwap(false, true) {
		close(r.stop)
	}
	r.wg.Wait()
}

// close stops the workers and the epoll. Registered fds must have been
// removed (del) and closed by their owners first.
func (r *reactor) close() error {
	r.stopWorkers()
	if err := r.ep.Close(); err != nil && !errors.Is(err, netpoll.ErrClosed) {
		return fmt.Errorf("epoll close: %w", err)
	}
	return nil
}
