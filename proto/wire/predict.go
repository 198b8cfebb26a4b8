package wire

// Predict moves a baseline entity by dead reckoning over ticks ticks at
// tickRate: position advances by its velocity, everything else stays.
// Delta snapshots carry only the difference between an entity and this
// prediction, so an entity moving in a straight line costs nothing; the
// rule is integer-exact so that every client computes the same numbers.
func Predict(e Entity, ticks uint32, tickRate int) Entity {
	d := int64(ticks)
	e.X += int32(divRound(int64(e.VX)*d, int64(tickRate)))
	e.Y += int32(divRound(int64(e.VY)*d, int64(tickRate)))
	return e
}

// divRound is a/b rounded to the nearest integer, halves up:
// floor((2a + b) / 2b) for b > 0.
func divRound(a, b int64) int64 {
	n, d := 2*a+b, 2*b
	q := n / d
	if n%d != 0 && n < 0 {
		q-- // Go truncates towards zero; the rule floors
	}
	return q
}
