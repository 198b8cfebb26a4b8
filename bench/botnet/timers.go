package botnet

import (
	"container/heap"
	"sync"
)

// timerAction is what the sender does for a bot when its timer fires.
type timerAction uint8

const (
	actLeave timerAction = iota + 1 // send Leave (churn)
	actJoin                         // send Join again (churn)
	actClose                        // close the connection (churn)
	actDrop                         // drop the connection and resume (resume)
)

type timerEntry struct {
	at  int64
	b   *bot
	act timerAction
}

// timerQueue is a bounded min-heap of bot timers. Workers push (after a
// Welcome), the sender pops.
type timerQueue struct {
	mu    sync.Mutex
	h     timerHeap
	limit int
}

type timerHeap []timerEntry

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(timerEntry)) }
func (h *timerHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

func newTimerQueue(limit int) *timerQueue { return &timerQueue{limit: max(limit, 16)} }

// push schedules act for b at time at; false when the queue is full.
func (q *timerQueue) push(at int64, b *bot, act timerAction) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.h) >= q.limit {
		return false
	}
	heap.Push(&q.h, timerEntry{at: at, b: b, act: act})
	return true
}

// popDue appends the entries due at or before now to out and returns them
// with the time of the next remaining entry (or -1).
func (q *timerQueue) popDue(now int64, out []timerEntry) (got []timerEntry, next int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	got = out[:0]
	for len(q.h) > 0 && q.h[0].at <= now {
		got = append(got, heap.Pop(&q.h).(timerEntry))
	}
	next = -1
	if len(q.h) > 0 {
		next = q.h[0].at
	}
	return got, next
}
