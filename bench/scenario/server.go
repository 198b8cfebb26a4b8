package scenario

import (
	"errors"
	"flag"
	"strings"

	"github.com/skirmishgg/skirmish/bench/report"
	"github.com/skirmishgg/skirmish/bench/target"
)

// The servers a scenario runs against: the -server and -server-args
// flags, a fresh server for a run, and the report of a run against one.

// serverFlags are -server and -server-args.
type serverFlags struct {
	path, args string
}

func (s *serverFlags) register(fs *flag.FlagSet, required bool) {
	help := "path to a built server binary: start it on 127.0.0.1:0 and run against it (instead of -url)"
	if required {
		help = "path to a built server binary (required): each run gets a fresh one on 127.0.0.1:0"
	}
	fs.StringVar(&s.path, "server", "", help)
	fs.StringVar(&s.args, "server-args", "", "extra flags for the server, space-separated (e.g. \"-tick-rate 30\")")
}

func (s *serverFlags) argv() []string { return strings.Fields(s.args) }

// require refuses a command without -server.
func (s *serverFlags) require(command string) error {
	if s.path == "" {
		return Usagef("%s: -server is required", command)
	}
	return nil
}

// WithServer runs fn against a fresh server (path with args), with o
// pointed at it, and then stops the server; a server that died during fn
// is an error.
func WithServer(path string, args []string, o Options, fn func(Options) error) error {
	srv, err := target.Start(path, args...)
	if err != nil {
		return err
	}
	o.URL, o.AdminURL, o.ServerPID = srv.URL, srv.Admin, srv.PID
	err = fn(o)
	return errors.Join(err, srv.End())
}

// ServerMeta names the server a command started.
type ServerMeta struct {
	Server     string  `json:"server"`
	ServerURL  string  `json:"server_url,omitempty"`
	ServerArgs *string `json:"server_args,omitempty"`
}

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
