package report

import (
	"fmt"
	"io"
	"strings"
)

// A Verdict is a scenario's pass line: the bar it is held to, as a list of
// checks, each passed, failed or skipped (not measurable in this run, e.g.
// no -server-pid for RSS). It passes when no check failed.
type Verdict struct {
	Scenario string  `json:"scenario"`
	Checks   []Check `json:"checks"`
}

// Check is one criterion of a Verdict.
type Check struct {
	Name    string `json:"check"`
	OK      bool   `json:"ok"`
	Skipped bool   `json:"skipped,omitempty"`
	Detail  string `json:"detail"`
}

// Add records a check.
func (v *Verdict) Add(name string, ok bool, format string, args ...any) {
	v.Checks = append(v.Checks, Check{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
}

// Skip records a check that this run cannot evaluate; it does not fail
// the verdict.
func (v *Verdict) Skip(name string, format string, args ...any) {
	v.Checks = append(v.Checks, Check{Name: name, OK: true, Skipped: true, Detail: fmt.Sprintf(format, args...)})
}

// Pass reports whether no check failed.
func (v *Verdict) Pass() bool {
	for _, c := range v.Checks {
		if !c.OK {
			return false
		}
	}
	return true
}

// Failed lists the names of the failed checks.
func (v *Verdict) Failed() []string {
	var out []string
	for _, c := range v.Checks {
		if !c.OK {
			out = append(out, c.Name)
		}
	}
	return out
}

// Line is the one-line summary: "stall: PASS" or "stall: FAIL (a, b)".
func (v *Verdict) Line() string {
	if v.Pass() {
		return v.Scenario + ": PASS"
	}
	return v.Scenario + ": FAIL (" + strings.Join(v.Failed(), ", ") + ")"
}

// Write prints the pass line and one line per check.
func (v *Verdict) Write(w io.Writer) {
	fmt.Fprintln(w, v.Line())
	for _, c := range v.Checks {
		mark := "ok  "
		switch {
		case c.Skipped:
			mark = "skip"
		case !c.OK:
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  %s  %s: %s\n", mark, c.Name, c.Detail)
	}
}
