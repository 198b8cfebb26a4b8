package diag

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Progress rewrites one status line on a terminal (carriage return), or
// prints a plain line every few seconds elsewhere (logs, CI). A nil
// writer shows nothing.
type Progress struct {
	w     io.Writer
	label string
	tty   bool
	last  time.Time
	shown bool
}

// NewProgress starts a progress line labelled label on w.
func NewProgress(w io.Writer, label string) *Progress {
	p := &Progress{w: w, label: label}
	if f, ok := w.(*os.File); ok {
		// Through SyscallConn, not Fd(): Fd() would make the file blocking.
		if rc, err := f.SyscallConn(); err == nil {
			rc.Control(func(fd uintptr) {
				_, terr := unix.IoctlGetTermios(int(fd), unix.TCGETS)
				p.tty = terr == nil
			})
		}
	}
	return p
}

// Update shows s.
func (p *Progress) Update(s string) {
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

// Done ends the line.
func (p *Progress) Done() {
	if p.w != nil && p.tty && p.shown {
		fmt.Fprint(p.w, "\n")
	}
}

// Elapsed formats a run's elapsed time for a progress line.
func Elapsed(d time.Duration) string {
	return fmt.Sprintf("%5.1fs", d.Seconds())
}
