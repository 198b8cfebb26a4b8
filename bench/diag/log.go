// Package diag is what skirmish-bots tells the terminal while it runs:
// diagnostic lines, capped per process, and a live progress line.
package diag

import (
	"fmt"
	"os"
	"sync/atomic"
)

// logLimit caps diagnostic lines per process: ten thousand bots failing
// the same way must not flood the terminal.
const logLimit = 50

var logCount atomic.Int64

// Logf prints a diagnostic line on stderr (the first logLimit only).
func Logf(format string, args ...any) {
	switch n := logCount.Add(1); {
	case n < logLimit:
		fmt.Fprintf(os.Stderr, "skirmish-bots: "+format+"\n", args...)
	case n == logLimit:
		fmt.Fprintf(os.Stderr, "skirmish-bots: (further diagnostics suppressed)\n")
	}
}
