package server

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailru/easygo/netpoll"
)

// connEvents is what every connection is registered for. Edge-triggered:
// one event per arrival, so a reader must drain until EAGAIN. EPOLLOUT
// costs nothing until a write has filled the socket buffer, and then tells
// us when the peer has made room.
const connEvents = netpoll.EPOLLIN | netpoll.EPOLLOUT | netpoll.EPOLLRDHUP | netpoll.EPOLLET

// poller owns the epoll instance and the workers that serve its readiness
// events. The epoll goroutine (inside easygo) only marks a connection
// ready and queues it; a worker does the reading and writing.
type poller struct {
	ep    *netpoll.Epoll
	queue *runQueue
	probe *epollProbe
	wg    sync.WaitGroup
	epoch time.Time
	// busy has, per worker, when it took its current connection (time
	// since epoch, never 0), or 0 while it waits: see stuckWorkers.
	busy []atomic.Int64
}

func newPoller(workers int, onError func(error)) (*poller, error) {
	ep, err := netpoll.EpollCreate(&netpoll.EpollConfig{OnWaitError: onError})
	if err != nil {
		return nil, fmt.Errorf("create epoll: %w", err)
	}
	probe, err := newEpollProbe(ep)
	if err != nil {
		_ = ep.Close()
		return nil, err
	}
	p := &poller{ep: ep, queue: newRunQueue(), probe: probe, epoch: time.Now(), busy: make([]atomic.Int64, workers)}
	for i := range workers {
		p.wg.Add(1)
		go p.work(&p.busy[i])
	}
	return p, nil
}

// add registers c's fd.
func (p *poller) add(c *Conn) error {
	if err := p.ep.Add(c.fd, connEvents, c.onEvent); err != nil {
		return fmt.Errorf("epoll add fd %d: %w", c.fd, err)
	}
	return nil
}

// del unregisters an fd; it must come before the fd is closed.
func (p *poller) del(fd int) {
	_ = p.ep.Del(fd) // ErrNotRegistered when the epoll is closed: nothing to undo
}

// schedule queues c for a worker. It never blocks.
func (p *poller) schedule(c *Conn) { p.queue.push(c) }

func (p *poller) work(busy *atomic.Int64) {
	defer p.wg.Done()
	buf := make([]byte, readBufferSize)
	for {
		c, ok := p.queue.pop()
		if !ok {
			return
		}
		busy.Store(int64(time.Since(p.epoch)) | 1)
		c.serve(buf)
		busy.Store(0)
	}
}

// stuckWorkers counts the workers busy with one connection for longer
// than limit (a turn is one read budget: microseconds), and the longest.
func (p *poller) stuckWorkers(limit time.Duration) (n int, longest time.Duration) {
	now := int64(time.Since(p.epoch))
	for i := range p.busy {
		if since := p.busy[i].Load(); since != 0 {
			if d := time.Duration(now - since); d > limit {
				n++
				longest = max(longest, d)
			}
		}
	}
	return n, longest
}

// close stops the workers and the epoll goroutine.
func (p *poller) close() {
	p.queue.close()
	p.wg.Wait()
	p.probe.close(p.ep)
	_ = p.ep.Close()
}
