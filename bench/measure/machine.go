package measure

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// The machine's CPU, to tell how much of it went to processes other than
// the bots and the server. Machines here are small and shared: another
// tenant's build or test run on the same 2 cores stalls the bots and the
// server now and then, and that shows as gaps and latencies that the
// server did not cause. Every run reports the CPU the others took in its
// window, so that a figure can be read with that in mind.

// MachineCPU is a reading of /proc/stat's first line.
type MachineCPU struct {
	Busy  time.Duration // user + nice + system + irq + softirq, all CPUs
	Idle  time.Duration // idle + iowait
	Steal time.Duration // taken by the hypervisor
}

// ReadMachineCPU reads /proc/stat.
func ReadMachineCPU() (MachineCPU, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return MachineCPU{}, fmt.Errorf("read /proc/stat: %w", err)
	}
	return parseProcStat(b)
}

// parseProcStat parses the aggregate "cpu" line of /proc/stat.
func parseProcStat(b []byte) (MachineCPU, error) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 9 || string(f[0]) != "cpu" {
		return MachineCPU{}, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	var v [8]int64
	for i := range v {
		n, err := strconv.ParseInt(string(f[i+1]), 10, 64)
		if err != nil {
			return MachineCPU{}, fmt.Errorf("/proc/stat field %d: %w", i+1, err)
		}
		v[i] = n
	}
	tick := time.Second / userHZ
	// user nice system idle iowait irq softirq steal
	return MachineCPU{
		Busy:  time.Duration(v[0]+v[1]+v[2]+v[5]+v[6]) * tick,
		Idle:  time.Duration(v[3]+v[4]) * tick,
		Steal: time.Duration(v[7]) * tick,
	}, nil
}

// Sub is the difference m − o.
func (m MachineCPU) Sub(o MachineCPU) MachineCPU {
	return MachineCPU{Busy: m.Busy - o.Busy, Idle: m.Idle - o.Idle, Steal: m.Steal - o.Steal}
}

// OtherCores is the CPU, in cores over span, that the machine spent on
// anything but ours (the bots and the server): busy − ours, never below 0
// (the two are read at slightly different instants).
func OtherCores(machine MachineCPU, ours time.Duration, span time.Duration) float64 {
	return max(CoreFraction(machine.Busy-ours, span), 0)
}
