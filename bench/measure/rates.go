package measure

import (
	"math"
	"time"
)

// PerClientSecond is count / (clients × window seconds); 0 when either is 0.
func PerClientSecond(count float64, clients int64, window time.Duration) float64 {
	if clients <= 0 || window <= 0 {
		return 0
	}
	return count / (float64(clients) * window.Seconds())
}

// CPUPerClientTick is the CPU time spent in a window divided by the
// client·ticks served in it, in microseconds: cpu / (clients × window ×
// tickRate). It returns 0 when any of the divisors is 0.
func CPUPerClientTick(cpu time.Duration, clients int64, window time.Duration, tickRate float64) float64 {
	ticks := window.Seconds() * tickRate
	if clients <= 0 || ticks <= 0 {
		return 0
	}
	return float64(cpu.Microseconds()) / (float64(clients) * ticks)
}

// CoreFraction is the share of one core that cpu time over window is
// (1.0 = one core fully busy).
func CoreFraction(cpu, window time.Duration) float64 {
	if window <= 0 {
		return 0
	}
	return cpu.Seconds() / window.Seconds()
}

// Ratio is a / b, or 0 when b is 0.
func Ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// PerConn is the growth from before to after divided by conns, in the unit
// of before/after; 0 when conns is 0.
func PerConn(before, after int64, conns int64) float64 {
	if conns <= 0 {
		return 0
	}
	return float64(after-before) / float64(conns)
}

// UsToMs converts microseconds to milliseconds.
func UsToMs(us int64) float64 { return float64(us) / 1000 }

// Round3 keeps three decimals, for readable JSON; a value that is not a
// number (NaN, ±Inf) is reported as 0.
func Round3(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return math.Round(x*1000) / 1000
}

// Ms converts a histogram value in µs to ms with three decimals.
func Ms(us int64) float64 { return Round3(UsToMs(us)) }
