package server

import (
	"sync"
	"testing"
	"time"
)

func TestRunQueueIsFIFOAndNeverFull(t *testing.T) {
	q := newRunQueue()
	conns := make([]Conn, 10000) // far past any worker or connection count
	for i := range conns {
		q.push(&conns[i])
	}
	if q.len() != len(conns) {
		t.Fatalf("len %d", q.len())
	}
	for i := range conns {
		c, ok := q.pop()
		if !ok || c != &conns[i] {
			t.Fatalf("pop %d: got %p, want %p", i, c, &conns[i])
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, ok := q.pop(); ok {
			t.Error("pop after close returned a connection")
		}
	}()
	q.close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("close did not wake a waiting pop")
	}
}

// TestConnsClosedWhileQueued closes connections while they wait in the
// run queue, with workers pushing back the ones that use up their budget:
// nothing blocks, every queued connection is served (a no-op once
// closed), and the server counts none of them afterwards.
func TestConnsClosedWhileQueued(t *testing.T) {
	s := newTestServer(t)
	const n = 500
	conns := make([]*Conn, n)
	for i := range conns {
		c, peer := socketPair(t, s)
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		if _, err := peer.Write(make([]byte, 10)); err != nil { // half a frame each
			t.Fatal(err)
		}
		conns[i] = c
	}
	var wg sync.WaitGroup
	for i, c := range conns {
		c.ready.Add(1)
		s.poller.schedule(c)
		if i%2 == 0 {
			wg.Add(1)
			go func() { defer wg.Done(); c.finalClose() }()
		}
	}
	wg.Wait()
	for _, c := range conns {
		c.finalClose()
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.poller.queue.len() > 0 || s.Conns() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d still queued, %d counted", s.poller.queue.len(), s.Conns())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
