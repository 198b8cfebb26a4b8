package measure

import (
	"math"
	"testing"
	"time"
)

func approx(t *testing.T, name string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %v, want %v", name, got, want)
	}
}

func TestRateMath(t *testing.T) {
	approx(t, "PerClientSecond", PerClientSecond(30000, 100, 10*time.Second), 30)
	approx(t, "PerClientSecond no clients", PerClientSecond(5, 0, time.Second), 0)
	approx(t, "PerClientSecond no window", PerClientSecond(5, 3, 0), 0)
	// 1 s of CPU over 10 s, 1000 clients at 30 Hz: 1e6 µs / 300000 client·ticks.
	approx(t, "CPUPerClientTick", CPUPerClientTick(time.Second, 1000, 10*time.Second, 30), 1e6/300000.0)
	approx(t, "CPUPerClientTick no ticks", CPUPerClientTick(time.Second, 1000, 10*time.Second, 0), 0)
	approx(t, "CoreFraction", CoreFraction(1500*time.Millisecond, 10*time.Second), 0.15)
	approx(t, "CoreFraction two cores", CoreFraction(20*time.Second, 10*time.Second), 2)
	approx(t, "Ratio", Ratio(3, 1.5), 2)
	approx(t, "Ratio by zero", Ratio(3, 0), 0)
	approx(t, "PerConn", PerConn(10<<20, 30<<20, 10000), float64(20<<20)/10000)
	approx(t, "PerConn no conns", PerConn(1, 2, 0), 0)
}
