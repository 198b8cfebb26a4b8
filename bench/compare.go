package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/skirmishgg/skirmish/bench/measure"
)

// Comparisons (interest, bandwidth): the play load run twice or more, each
// time against a fresh server process started with its own flags, shown
// side by side with a column of ratios, and judged by a pass line.

// playLeg is one run of a comparison.
type playLeg struct {
	Name       string
	ServerArgs []string
	Play       PlayConfig
}

// runLegs runs every leg against a fresh server (path, with the leg's
// flags) and adds one section per leg to rep. It returns each leg's
// figures; a leg that could not run has an "error" figure and nil in ok.
func runLegs(ctx context.Context, path string, o Options, legs []playLeg, rep *Report) (figs []*Figures, ok []bool, err error) {
	var errs []error
	for _, leg := range legs {
		f := NewFigures()
		f.Set("server_args", cmp.Or(strings.Join(leg.ServerArgs, " "), "-"))
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			f.Set("error", ctx.Err().Error())
			rep.Add(leg.Name, f)
			figs, ok = append(figs, f), append(ok, false)
			continue
		}
		t0 := time.Now()
		play, lerr := runLeg(ctx, path, o, leg)
		if play != nil {
			for _, k := range play.Keys() {
				v, _ := play.Get(k)
				f.Set(k, v)
			}
		}
		if lerr != nil {
			errs = append(errs, lerr)
			f.Set("error", lerr.Error())
		}
		f.Set("leg_s", measure.Round3(time.Since(t0).Seconds()))
		rep.Add(leg.Name, f)
		figs, ok = append(figs, f), append(ok, lerr == nil && play != nil)
	}
	return figs, ok, errors.Join(errs...)
}

func runLeg(ctx context.Context, path string, o Options, leg playLeg) (*Figures, error) {
	srv, err := StartServerProcess(path, leg.ServerArgs...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", leg.Name, err)
	}
	lo := o
	lo.URL, lo.ServerPID = srv.URL, srv.PID
	f, _, err := RunPlay(ctx, lo, leg.Play, leg.Name)
	if !srv.Alive() {
		err = errors.Join(err, fmt.Errorf("%s: the server exited; last output: %s", leg.Name, tail(srv.Logs(), 400)))
	}
	if serr := srv.Stop(); serr != nil {
		err = errors.Join(err, serr)
	}
	return f, err
}

// ratioSection is num/den for each of keys that both have (a column of
// the side-by-side table).
func ratioSection(num, den *Figures, keys []string) *Figures {
	r := NewFigures()
	for _, k := range keys {
		_, a := num.Get(k)
		_, b := den.Get(k)
		if a && b && den.Float(k) != 0 {
			r.Set(k, measure.Round3(num.Float(k)/den.Float(k)))
		}
	}
	return r
}

// checkJoined adds the check that every bot of a leg joined.
func checkJoined(v *Verdict, name string, f *Figures, ran bool) {
	bots, joined, failed := f.Float("bots"), f.Float("clients_joined"), f.Float("clients_failed")
	reasons, _ := f.Get("fail_reasons")
	v.Add(name+": all bots joined", ran && bots > 0 && joined == bots && failed == 0,
		"%.0f/%.0f joined, %.0f failed (%v)", joined, bots, failed, reasons)
}

// serverRun starts a fresh server for a load command given -server, and
// points o at it; stop ends it (and reports whether it had died).
func serverRun(path string, args []string, o *Options) (stop func() error, err error) {
	srv, err := StartServerProcess(path, args...)
	if err != nil {
		return nil, err
	}
	o.URL, o.ServerPID = srv.URL, srv.PID
	return func() error {
		var err error
		if !srv.Alive() {
			err = fmt.Errorf("the server exited during the run; last output: %s", tail(srv.Logs(), 400))
		}
		return errors.Join(err, srv.Stop())
	}, nil
}
