// Package scenario holds the shape every command of skirmish-bots has (a
// Scenario: a name, its own flags, a run that returns a report), what the
// load scenarios share (their options and flags, the servers they start,
// their figures), and the load scenarios themselves: idle, play,
// baseline, suite, interest, bandwidth, resume and match.
package scenario

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/skirmishgg/skirmish/bench/report"
)

// A Scenario is one command of skirmish-bots.
type Scenario interface {
	// Name is the command's name.
	Name() string
	// Flags registers the scenario's flags on fs; parsing fs sets them.
	Flags(fs *flag.FlagSet)
	// Run runs the scenario. The report holds its figures and pass lines
	// (a scenario that ran but failed its pass line returns a report that
	// does not Pass, and no error); a run that failed part-way may return
	// both a report of what it measured and the error.
	Run(ctx context.Context, env Env) (*report.Report, error)
}

// Env is what a scenario gets from the command line around it.
type Env struct {
	// Progress receives the live progress lines (stderr); nil for none.
	Progress io.Writer
}

// usageError is an error in how a command was called: its flags do not
// make a run (the exit status is 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// Usagef returns a usageError.
func Usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// IsUsage reports whether err is a usageError.
func IsUsage(err error) bool {
	var u *usageError
	return errors.As(err, &u)
}

// Failure is the "error" figure of a section whose scenario failed.
type Failure struct {
	Error string `json:"error,omitempty"`
}

// failure is the Failure of err (none for nil).
func failure(err error) Failure {
	if err == nil {
		return Failure{}
	}
	return Failure{Error: err.Error()}
}

// Pause waits d, or less if ctx ends first.
func Pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
