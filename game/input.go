package game

import "time"

// applyInputs moves every member's queued inputs into the loop under one
// lock, then hands them to the mode without holding it.
func (r *Room) applyInputs() {
	r.mu.Lock()
	counts := r.counts()
	for i, m := range r.members {
		counts[i] = copy(m.batch[:], m.queue[:m.n])
		m.n = 0
		m.maxLag = lagTicks(m.rtt, r.period)
	}
	r.mu.Unlock()
	for i, m := range r.members {
		for _, in := range m.batch[:counts[i]] {
			if in.Seq > m.lastSeq {
				m.lastSeq = in.Seq
			}
			// A client can only acknowledge ticks already sent to it, and
			// only ticks sent to its current connection: after a resume,
			// an ack from before it names a baseline the new connection
			// never had; after a join, one from before it names nothing
			// (ticks count per room: it was a tick of the previous room).
			if in.AckTick > m.ackTick && in.AckTick < r.tick && in.AckTick >= m.since {
				m.ackTick = in.AckTick
			}
			in.AckTick = r.judgedAck(m)
			r.mode.ApplyInput(m.id, in)
		}
	}
}

// judgedAck is the ack_tick the mode judges m's input by (in arena: how far
// back its shots are judged). It is never the client's raw claim: it is
// the newest ack the room accepted from the current connection (so never
// older than one accepted before, never a tick not yet sent, never from
// before the join or resume), and at most maxLag ticks back, so that a
// client with a short round trip cannot claim the full rewind of a slow
// one. The mode applies its own cap on top.
func (r *Room) judgedAck(m *member) uint32 {
	ack := m.ackTick
	if ack != 0 && m.maxLag != 0 && r.tick-ack > m.maxLag {
		ack = r.tick - m.maxLag
	}
	return ack
}

// maxMeasuredRTT bounds the round trip lagTicks counts: beyond it every
// mode's own cap on lag compensation is the tighter one.
const maxMeasuredRTT = time.Second

// lagTicks is how far behind the present, in ticks of period, an honest
// client with round trip rtt can be when its input is applied: the
// snapshot it acknowledges took half the round trip to reach it, its
// input half to come back, and the input waits up to one more tick for
// the client's send timer and the room's next tick (at most
// ceil(rtt/period) + 1 ticks in all). 0 for an unmeasured rtt.
func lagTicks(rtt, period time.Duration) uint32 {
	if rtt <= 0 {
		return 0
	}
	rtt = min(rtt, maxMeasuredRTT)
	return uint32((rtt+period-1)/period) + 1
}

// counts returns a reused slice of len(r.members).
func (r *Room) counts() []int {
	if cap(r.countBuf) < len(r.members) {
		r.countBuf = make([]int, len(r.members), 2*len(r.members))
	}
	return r.countBuf[:len(r.members)]
}
