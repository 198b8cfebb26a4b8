package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the end result of a command: a section of figures per
// scenario (a column of the table), plus the abuse cases if any.
type Report struct {
	Meta     *Figures
	Sections []Section
	Abuse    []AbuseResult
	// Verdicts are the pass lines of the scenarios that have one, printed
	// after the table (their checks are also in the sections' JSON).
	Verdicts []*Verdict
	// Separate prints one table per section instead of one column each
	// (for sections that share few figures).
	Separate bool
}

// Section is one scenario's figures.
type Section struct {
	Name    string
	Figures *Figures
}

// NewReport starts a report with run metadata.
func NewReport(command string) *Report {
	m := NewFigures()
	m.Set("command", command)
	m.Set("time", time.Now().UTC().Format(time.RFC3339))
	m.Set("go_version", runtime.Version())
	m.Set("cpus", int64(runtime.NumCPU()))
	if h, err := os.Hostname(); err == nil {
		m.Set("host", h)
	}
	return &Report{Meta: m}
}

// Add appends a section.
func (r *Report) Add(name string, f *Figures) {
	r.Sections = append(r.Sections, Section{Name: name, Figures: f})
}

// AddVerdict records a scenario's pass line and adds pass/checks to its
// figures.
func (r *Report) AddVerdict(v *Verdict, f *Figures) {
	v.Apply(f)
	r.Verdicts = append(r.Verdicts, v)
}

// Pass reports whether every verdict passed.
func (r *Report) Pass() bool {
	for _, v := range r.Verdicts {
		if !v.Pass() {
			return false
		}
	}
	return true
}

// Section returns the named section's figures, or nil.
func (r *Report) Section(name string) *Figures {
	for _, s := range r.Sections {
		if s.Name == name {
			return s.Figures
		}
	}
	return nil
}

// MarshalJSON writes {"meta": ..., "<scenario>": {...}, ..., "abuse": [...]}.
func (r *Report) MarshalJSON() ([]byte, error) {
	top := NewFigures()
	top.Set("meta", r.Meta)
	for _, s := range r.Sections {
		top.Set(s.Name, s.Figures)
	}
	if r.Abuse != nil {
		top.Set("abuse", r.Abuse)
	}
	return top.MarshalJSON()
}

// WriteJSON writes the report to path (creating its directory).
func (r *Report) WriteJSON(path string) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	out.WriteByte('\n')
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// WriteTable prints the human table: one row per figure, one column per
// section; then the abuse cases.
func (r *Report) WriteTable(w io.Writer) error {
	if r.Separate {
		for i, s := range r.Sections {
			if i > 0 {
				fmt.Fprintln(w)
			}
			if err := writeSections(w, []Section{s}); err != nil {
				return err
			}
		}
	} else if err := writeSections(w, r.Sections); err != nil {
		return err
	}
	if len(r.Abuse) > 0 {
		if len(r.Sections) > 0 {
			fmt.Fprintln(w)
		}
		if err := writeAbuseTable(w, r.Abuse); err != nil {
			return err
		}
	}
	if len(r.Verdicts) > 0 {
		fmt.Fprintln(w)
		for _, v := range r.Verdicts {
			v.Write(w)
		}
	}
	return nil
}

// tableValue reports whether a figure belongs in the table: numbers,
// strings and booleans do; lists (checks, series) are for the JSON only.
func tableValue(v any) bool {
	switch v.(type) {
	case nil, string, bool, int, int64, uint32, uint64, float64:
		return true
	}
	return false
}

// writeSections prints one row per figure and one column per section.
func writeSections(w io.Writer, sections []Section) error {
	if len(sections) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	// Rows in the order of the richest section, then any others.
	bySize := slices.Clone(sections)
	slices.SortStableFunc(bySize, func(a, b Section) int { return len(b.Figures.Keys()) - len(a.Figures.Keys()) })
	var keys []string
	seen := map[string]bool{}
	for _, s := range bySize {
		for _, k := range s.Figures.Keys() {
			if v, _ := s.Figures.Get(k); !seen[k] && tableValue(v) {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	head := []string{"figure"}
	for _, s := range sections {
		head = append(head, s.Name)
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for _, k := range keys {
		row := []string{k}
		for _, s := range sections {
			v, ok := s.Figures.Get(k)
			if !ok {
				row = append(row, "")
				continue
			}
			row = append(row, formatFigure(v))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	return nil
}
