package botnet

import "time"

// schedule spreads the inputs of Total bots evenly over one Period: bot g
// (its global index, 0 ≤ g < Total) sends at epoch + k·Period + Offset(g)
// for k = 0, 1, 2, ... so that the server sees a steady stream, never a
// burst of every bot at the start of a tick.
type schedule struct {
	Period time.Duration
	Total  int
}

// Offset is bot g's phase within the period: g·Period/Total.
func (s schedule) Offset(g int) time.Duration {
	if s.Total <= 0 {
		return 0
	}
	return time.Duration(int64(g) * int64(s.Period) / int64(s.Total))
}

// directionEvery is how many inputs keep the same direction: a bot draws a
// new (dx, dy) at seq 0, 30, 60, ...
const directionEvery = 30

// NewDirection reports whether the input with this seq draws a new direction.
func newDirection(seq uint32) bool { return seq%directionEvery == 0 }

// scheduleCursor walks the due times of the bots first..first+count-1 of a
// schedule in time order. Times are nanoseconds on the caller's clock.
// It is owned by one goroutine.
type scheduleCursor struct {
	s            schedule
	first, count int
	epoch        int64
	k            int64 // current period
	i            int   // next local index in period k
	skipped      int64 // inputs skipped because the caller fell behind
}

func newScheduleCursor(s schedule, first, count int, epoch int64) *scheduleCursor {
	return &scheduleCursor{s: s, first: first, count: count, epoch: epoch}
}

// next is the due time of the next slot.
func (c *scheduleCursor) next() int64 {
	return c.epoch + c.k*int64(c.s.Period) + int64(c.s.Offset(c.first+c.i))
}

// due calls fn(local index, due time) for every slot due at or before now,
// in time order. If the caller is more than one period behind, whole
// periods are skipped (and counted) rather than sent in a burst.
func (c *scheduleCursor) due(now int64, fn func(local int, due int64)) {
	if c.count <= 0 || c.s.Period <= 0 {
		return
	}
	p := int64(c.s.Period)
	if lag := now - c.next(); lag > p {
		behind := lag / p
		c.k += behind
		c.skipped += behind * int64(c.count)
	}
	for {
		d := c.next()
		if d > now {
			return
		}
		fn(c.i, d)
		c.i++
		if c.i == c.count {
			c.i = 0
			c.k++
		}
	}
}
