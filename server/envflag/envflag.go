// Package envflag gives every flag of a flag.FlagSet an environment
// variable: -max-conns-per-ip is also PREFIX_MAX_CONNS_PER_IP. A flag given
// on the command line wins over the environment, which wins over the
// default. It also prints usage with those names and lists the effective
// configuration, keeping the values of secret flags out of both.
package envflag

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
)

// Set wraps a flag.FlagSet with an environment prefix and secret flags.
type Set struct {
	*flag.FlagSet
	// Prefix of every variable, e.g. "SKIRMISH_".
	Prefix string
	secret map[string]bool
	source map[string]string // where each flag's value came from
}

// New returns a Set over a new flag set named name.
func New(name, prefix string) *Set {
	s := &Set{
		FlagSet: flag.NewFlagSet(name, flag.ContinueOnError),
		Prefix:  prefix,
		secret:  map[string]bool{},
		source:  map[string]string{},
	}
	s.Usage = func() { s.PrintUsage(s.Output()) }
	return s
}

// Secret marks a flag whose value must never be printed or logged. Its
// default should be empty: defaults are shown in usage.
func (s *Set) Secret(name string) { s.secret[name] = true }

// Var is the environment variable of flag name.
func (s *Set) Var(name string) string {
	return s.Prefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// Parse parses args, then sets every flag not given in args from its
// variable, if lookup finds one (os.LookupEnv in a program).
func (s *Set) Parse(args []string, lookup func(string) (string, bool)) error {
	if err := s.FlagSet.Parse(args); err != nil {
		return err
	}
	given := map[string]bool{}
	s.Visit(func(f *flag.Flag) { given[f.Name] = true; s.source[f.Name] = "flag" })
	var err error
	s.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		v, ok := lookup(s.Var(f.Name))
		if !ok {
			return
		}
		if serr := s.FlagSet.Set(f.Name, v); serr != nil {
			shown := v
			if s.secret[f.Name] {
				shown = "(secret)"
			}
			err = fmt.Errorf("%s=%s: %w", s.Var(f.Name), shown, serr)
			return
		}
		s.source[f.Name] = "env"
	})
	return err
}

// PrintUsage writes every flag with its variable, default and help.
func (s *Set) PrintUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage of %s:\n", s.Name())
	s.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  -%s", f.Name)
		if name != "" {
			fmt.Fprintf(w, " %s", name)
		}
		fmt.Fprintf(w, "   (env %s)\n    \t%s", s.Var(f.Name), strings.ReplaceAll(usage, "\n", "\n    \t"))
		switch {
		case s.secret[f.Name]:
			fmt.Fprint(w, " (secret: never printed)")
		case f.DefValue != "" && f.DefValue != "false":
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}

// PrintMarkdown writes every flag as a row of a Markdown table: flag,
// variable, default, meaning (for the operator's documentation).
func (s *Set) PrintMarkdown(w io.Writer) {
	fmt.Fprintln(w, "| flag | environment | default | meaning |")
	fmt.Fprintln(w, "|------|-------------|---------|---------|")
	s.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		if name != "" {
			name = " " + name
		}
		def := "`" + f.DefValue + "`"
		switch {
		case s.secret[f.Name]:
			def = "(secret)"
		case f.DefValue == "":
			def = "(empty)"
		}
		usage = strings.ReplaceAll(strings.ReplaceAll(usage, "\n", " "), "|", "\\|")
		fmt.Fprintf(w, "| `-%s%s` | `%s` | %s | %s |\n", f.Name, name, s.Var(f.Name), def, usage)
	})
}

// Effective returns the configuration as log attributes, one per flag in
// name order, with the source of each non-default value; secrets are
// shown only as set or unset.
func (s *Set) Effective() []slog.Attr {
	var names []string
	s.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	sort.Strings(names)
	attrs := make([]slog.Attr, 0, len(names))
	for _, n := range names {
		f := s.Lookup(n)
		v := f.Value.String()
		if s.secret[n] {
			v = "(unset)"
			if f.Value.String() != "" {
				v = "(set, redacted)"
			}
		}
		if src := s.source[n]; src != "" {
			v += " [" + src + "]"
		}
		attrs = append(attrs, slog.String(n, v))
	}
	return attrs
}
