package arena

import "math"

// dist2 is the squared distance between two points.
func dist2(ax, ay, bx, by float64) float64 {
	dx, dy := ax-bx, ay-by
	return dx*dx + dy*dy
}

// touching reports whether two circles whose radii add up to r overlap or
// touch.
func touching(ax, ay, bx, by, r float64) bool {
	return dist2(ax, ay, bx, by) <= r*r
}

// sweepCircle reports whether a point moving from (x, y) by (mx, my) comes
// within r of (cx, cy), and at which fraction t in [0, 1] of the move it
// first does.
func sweepCircle(x, y, mx, my, cx, cy, r float64) (t float64, ok bool) {
	// Solve |(x, y) + t·(mx, my) - (cx, cy)|² = r² for the smaller root.
	fx, fy := x-cx, y-cy
	c := fx*fx + fy*fy - r*r
	if c <= 0 {
		return 0, true // already touching at the start
	}
	a := mx*mx + my*my
	b := 2 * (fx*mx + fy*my)
	disc := b*b - 4*a*c
	if a == 0 || disc < 0 {
		return 0, false
	}
	t = (-b - math.Sqrt(disc)) / (2 * a)
	return t, t >= 0 && t <= 1
}
