package scenario

import (
	"github.com/skirmishgg/skirmish/bench/report"
)

// runAgainst runs a scenario judged by a pass line against a fresh server
// when -server is given (and against -url otherwise), and reports it as
// the one section name.
func runAgainst[R any](name string, sf serverFlags, o Options, fn func(Options) (*R, *report.Verdict, error)) (*report.Report, error) {
	var res *R
	var v *report.Verdict
	run := func(o Options) (err error) {
		res, v, err = fn(o)
		return err
	}
	var err error
	if sf.path != "" {
		err = WithServer(sf.path, sf.argv(), o, run)
	} else {
		err = run(o)
	}
	if res == nil {
		return nil, err
	}
	return againstReport(name, sf, res, v, err), err
}

// againstReport is the report of a scenario runAgainst ran.
func againstReport(name string, sf serverFlags, res any, v *report.Verdict, err error) *report.Report {
	rep := report.New(name)
	if sf.path != "" {
		rep.AddMeta(ServerMeta{Server: sf.path, ServerArgs: new(sf.args)})
	}
	rep.AddVerdict(rep.Add(name, res, failure(err)), v)
	return rep
}

// joinedFigures are the bots that finished the handshake, got a Welcome, or
// never got there.
type joinedFigures struct {
	ClientsConnected int64 `json:"clients_connected"`
	ClientsJoined    int64 `json:"clients_joined"`
	ClientsFailed    int64 `json:"clients_failed"`
}
