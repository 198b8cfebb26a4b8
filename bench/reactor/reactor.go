// Package reactor is the read side shared by the bots and the baseline
// server: one easygo epoll (raw-fd API: no conn.File(), no dup, one fd per
// socket), edge-triggered, whose callbacks only hand the item to a small
// pool of worker goroutines through a bounded queue. A worker drains the
// socket until EAGAIN. No goroutine exists per connection. The package
// also opens the raw non-blocking sockets it watches and turns their bytes
// into WebSocket messages.
package reactor

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/mailru/easygo/netpoll"

	"github.com/skirmishgg/skirmish/bench/diag"
)

// Item is one registered socket.
type Item interface {
	Readiness() *Readiness
	// Serve runs on one worker at a time; it reads the events that the
	// callback stored and drains the socket.
	Serve(w *Worker)
}

// Readiness is the per-item hand-off state between the epoll callback and
// the workers. run guarantees that an item sits in the queue at most once
// and that at most one worker serves it; events accumulates what epoll
// reported since the last serve. The zero value is ready to use.
type Readiness struct {
	run    atomic.Int32
	events atomic.Uint32
}

const (
	runIdle   = 0 // not queued
	runQueued = 1 // queued or being served
	runAgain  = 2 // being served, and woken again meanwhile
)

// TakeEvents returns and clears the stored epoll events.
func (r *Readiness) TakeEvents() netpoll.EpollEvent {
	return netpoll.EpollEvent(r.events.Swap(0))
}

// Worker is one reader goroutine's context.
type Worker struct {
	ID  int
	Buf []byte // read buffer, reused for every read
}

// ShortReadDrains documents why a reader may stop after a short read
// instead of reading again until EAGAIN: on a TCP socket a read that
// returns less than asked has taken everything queued (the kernel also
// processes the socket backlog before returning), and with edge-triggered
// epoll every later arrival raises a new event, which wakes the item again
// (runAgain) even while it is being served. Data is never stranded, and a
// third of the readers' syscalls are saved. After a hang-up event a reader
// still reads until EOF.
const ShortReadDrains = true

// Reactor is an epoll and its workers.
type Reactor struct {
	ep      *netpoll.Epoll
	ready   chan Item
	calls   []chan func(*Worker)
	stop    chan struct{}
	wg      sync.WaitGroup
	dropped atomic.Int64 // wake-ups lost to a full queue (must stay 0)
	closed  atomic.Bool
}

// pollEvents is what every item listens to: edge-triggered, so a reader
// must drain, and EPOLLOUT tells a writer with pending bytes to go on.
const pollEvents = netpoll.EPOLLIN | netpoll.EPOLLOUT | netpoll.EPOLLRDHUP | netpoll.EPOLLET

// New starts the epoll and n workers with read buffers of bufSize.
// capacity bounds the ready queue and must be at least the number of
// items ever registered at once (each item is queued at most once).
func New(n, capacity, bufSize int) (*Reactor, error) {
	ep, err := netpoll.EpollCreate(&netpoll.EpollConfig{
		OnWaitError: func(err error) { diag.Logf("epoll wait: %v", err) },
	})
	if err != nil {
		return nil, fmt.Errorf("epoll create: %w", err)
	}
	r := &Reactor{
		ep:    ep,
		ready: make(chan Item, capacity),
		stop:  make(chan struct{}),
	}
	for i := range n {
		w := &Worker{ID: i, Buf: make([]byte, bufSize)}
		calls := make(chan func(*Worker))
		r.calls = append(r.calls, calls)
		r.wg.Add(1)
		go r.work(w, calls) // ends on StopWorkers
	}
	return r, nil
}

func (r *Reactor) work(w *Worker, calls chan func(*Worker)) {
	defer r.wg.Done()
	for {
		select {
		case <-r.stop:
			return
		case fn := <-calls:
			fn(w)
		case it := <-r.ready:
			rd := it.Readiness()
			for {
				it.Serve(w)
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

// Add registers fd; epoll events for it wake it.
func (r *Reactor) Add(fd int, it Item) error {
	rd := it.Readiness()
	err := r.ep.Add(fd, pollEvents, func(ev netpoll.EpollEvent) {
		rd.events.Or(uint32(ev))
		r.Wake(it)
	})
	if err != nil {
		return fmt.Errorf("epoll add fd %d: %w", fd, err)
	}
	return nil
}

// Del unregisters fd; call it before closing fd.
func (r *Reactor) Del(fd int) error {
	if err := r.ep.Del(fd); err != nil && !errors.Is(err, netpoll.ErrNotRegistered) && !errors.Is(err, netpoll.ErrClosed) {
		return fmt.Errorf("epoll del fd %d: %w", fd, err)
	}
	return nil
}

// Wake queues it for a worker unless it is already queued; it never
// blocks. A wake-up lost to a full queue is counted (Dropped).
func (r *Reactor) Wake(it Item) {
	rd := it.Readiness()
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

// Dropped is how many wake-ups were lost to a full queue (a capacity too
// small for the items registered).
func (r *Reactor) Dropped() int64 { return r.dropped.Load() }

// OnWorkers runs fn on every worker goroutine, one after the other, and
// returns when all have run it: the way to read or reset per-worker state.
func (r *Reactor) OnWorkers(fn func(*Worker)) {
	done := make(chan struct{})
	for _, c := range r.calls {
		select {
		case c <- func(w *Worker) { fn(w); done <- struct{}{} }:
			<-done
		case <-r.stop:
			return
		}
	}
}

// StopWorkers ends the worker goroutines and waits for them.
func (r *Reactor) StopWorkers() {
	if r.closed.CompareAndSwap(false, true) {
		close(r.stop)
	}
	r.wg.Wait()
}

// Close stops the workers and the epoll. Registered fds must have been
// removed (Del) and closed by their owners first.
func (r *Reactor) Close() error {
	r.StopWorkers()
	if err := r.ep.Close(); err != nil && !errors.Is(err, netpoll.ErrClosed) {
		return fmt.Errorf("epoll close: %w", err)
	}
	return nil
}
