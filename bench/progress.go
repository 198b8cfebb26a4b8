package bench

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// progressLine rewrites one status line on a terminal (carriage return),
// or prints a plain line every few seconds elsewhere (logs, CI).
type progressLine struct {
	w     io.Writer
	label string
	tty   bool
	last  time.Time
	shown bool
}

func newProgressLine(w io.Writer, label string) *progressLine {
	pl := &progressLine{w: w, label: label}
	if f, ok := w.(*os.File); ok {
		// Through SyscallConn, not Fd(): Fd() would make the file blocking.
		if rc, err := f.SyscallConn(); err == nil {
			rc.Control(func(fd uintptr) {
				_, terr := unix.IoctlGetTermios(int(fd), unix.TCGETS)
				pl.tty = terr == nil
			})
		}
	}
	return pl
}

func (p *progressLine) update(s string) {
	if p.w == nil {
		return
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K[%s] %s", p.label, s)
		p.shown = true
		return
	}
	if time.Since(p.last) >= 5*time.Second {
		p.last = time.Now()
		fmt.Fprintf(p.w, "[%s] %s\n", p.label, s)
	}
}

// done ends the line.
func (p *progressLine) done() {
	if p.w != nil && p.tty && p.shown {
		fmt.Fprint(p.w, "\n")
	}
}

func fmtElapsed(d time.Duration) string {
	return fmt.Sprintf("%5.1fs", d.Seconds())
}
