package game

// applyInputs moves every member's queued inputs into the loop under one
// lock, then hands them to the mode without holding it.
func (r *Room) applyInputs() {
	r.mu.Lock()
	counts := r.counts()
	for i, m := range r.members {
		counts[i] = copy(m.batch[:], m.queue[:m.n])
		m.n = 0
	}
	r.mu.Unlock()
	for i, m := range r.members {
		for _, in := range m.batch[:counts[i]] {
			r.mode.ApplyInput(m.id, in)
			if in.Seq > m.lastSeq {
				m.lastSeq = in.Seq
			}
			// A client can only acknowledge ticks already sent to it, and
			// after a resume only ticks sent to the new connection: inputs
			// still queued from the old one name baselines it never had.
			if in.AckTick > m.ackTick && in.AckTick < r.tick && in.AckTick >= m.resumeTick {
				m.ackTick = in.AckTick
			}
		}
	}
}

// counts returns a reused slice of len(r.members).
func (r *Room) counts() []int {
	if cap(r.countBuf) < len(r.members) {
		r.countBuf = make([]int, len(r.members), 2*len(r.members))
	}
	return r.countBuf[:len(r.members)]
}
