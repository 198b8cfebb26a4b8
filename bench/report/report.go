// Package report is what a command of skirmish-bots prints and writes: a
// table of figures with one column per scenario, the pass lines, and the
// same figures as JSON, one object per scenario. A scenario's figures are
// typed values (structs with JSON tags); the table shows what their JSON
// holds, in the same order.
package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// Report is the outcome of a command: run metadata, one section per
// scenario, and the pass lines of the scenarios that have one.
type Report struct {
	meta     []any
	sections []*Section
	verdicts []*Verdict
	// Separate prints one table per section instead of one column each
	// (for sections that share few figures).
	Separate bool
}

// Section is one scenario's figures: values whose JSON objects are joined,
// in order, into the section's object. A section of one value that is
// not a JSON object (a list) is written as that value.
type Section struct {
	Name  string
	Parts []any
}

// Append adds parts to the section.
func (s *Section) Append(parts ...any) { s.Parts = append(s.Parts, parts...) }

// runMeta is the metadata every report starts with.
type runMeta struct {
	Command   string `json:"command"`
	Time      string `json:"time"`
	GoVersion string `json:"go_version"`
	CPUs      int64  `json:"cpus"`
	Host      string `json:"host,omitempty"`
}

// New starts the report of a command.
func New(command string) *Report {
	m := runMeta{Command: command, Time: time.Now().UTC().Format(time.RFC3339),
		GoVersion: runtime.Version(), CPUs: int64(runtime.NumCPU())}
	m.Host, _ = os.Hostname()
	return &Report{meta: []any{m}}
}

// AddMeta adds parts to the metadata.
func (r *Report) AddMeta(parts ...any) { r.meta = append(r.meta, parts...) }

// Add appends a section.
func (r *Report) Add(name string, parts ...any) *Section {
	s := &Section{Name: name, Parts: parts}
	r.sections = append(r.sections, s)
	return s
}

// AddVerdict records a scenario's pass line, printed after the table, and
// adds "pass" and "checks" to the section s (to the metadata when s is
// nil).
func (r *Report) AddVerdict(s *Section, v *Verdict) {
	r.verdicts = append(r.verdicts, v)
	if s == nil {
		r.meta = append(r.meta, verdictFields{v})
		return
	}
	s.Append(verdictFields{v})
}

// Pass reports whether every verdict passed.
func (r *Report) Pass() bool {
	for _, v := range r.verdicts {
		if !v.Pass() {
			return false
		}
	}
	return true
}

// verdictFields is a verdict as figures: "pass" and "checks".
type verdictFields struct{ v *Verdict }

func (f verdictFields) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Pass   bool    `json:"pass"`
		Checks []Check `json:"checks"`
	}{f.v.Pass(), f.v.Checks})
}

// passField is the metadata's "pass" when no verdict sits in it: the
// conjunction of the report's verdicts.
type passField struct {
	Pass bool `json:"pass"`
}

// MarshalJSON writes {"meta": ..., "<scenario>": {...}, ...}.
func (r *Report) MarshalJSON() ([]byte, error) {
	meta := r.meta
	if len(r.verdicts) > 0 && !hasVerdict(meta) {
		meta = append(meta[:len(meta):len(meta)], passField{r.Pass()})
	}
	var b bytes.Buffer
	b.WriteString(`{"meta":`)
	m, err := joinObjects(meta)
	if err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	b.Write(m)
	for _, s := range r.sections {
		k, err := json.Marshal(s.Name)
		if err != nil {
			return nil, err
		}
		v, err := s.MarshalJSON()
		if err != nil {
			return nil, err
		}
		b.WriteByte(',')
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func hasVerdict(parts []any) bool {
	for _, p := range parts {
		if _, ok := p.(verdictFields); ok {
			return true
		}
	}
	return false
}

// MarshalJSON writes the section's parts as one object.
func (s *Section) MarshalJSON() ([]byte, error) {
	if len(s.Parts) == 1 {
		b, err := json.Marshal(s.Parts[0])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name, err)
		}
		if len(b) == 0 || b[0] != '{' {
			return b, nil
		}
	}
	b, err := joinObjects(s.Parts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Name, err)
	}
	return b, nil
}

// joinObjects marshals every part, each a JSON object, and joins their
// members into one object. A name given twice is an error: each figure
// has one value.
func joinObjects(parts []any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	seen := map[string]bool{}
	for _, p := range parts {
		pb, err := json.Marshal(p)
		if err != nil {
			return nil, err
		}
		fields, err := objectFields(pb)
		if err != nil {
			return nil, fmt.Errorf("%T: %w", p, err)
		}
		for _, f := range fields {
			if seen[f.name] {
				return nil, fmt.Errorf("figure %q given twice", f.name)
			}
			seen[f.name] = true
			if b.Len() > 1 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(f.name)
			b.Write(k)
			b.WriteByte(':')
			b.Write(f.value)
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// field is one member of a JSON object.
type field struct {
	name  string
	value json.RawMessage
}

// objectFields lists the members of the JSON object b, in order.
func objectFields(b []byte) ([]field, error) {
	if string(b) == "null" {
		return nil, nil // a nil part: no figures
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object: %.40s", b)
	}
	var out []field
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, field{name: t.(string), value: v})
	}
	return out, nil
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

// Fields are figures whose names are built rather than written in a tag:
// figures of one shape under several names (the same counts before and
// after, or for two kinds of peers). They marshal as one object, in order.
type Fields []Field

// Field is one named figure.
type Field struct {
	Name  string
	Value any
}

// MarshalJSON writes the fields as an object, in order.
func (fs Fields) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(f.Name)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(f.Value)
		if err != nil {
			return nil, fmt.Errorf("figure %s: %w", f.Name, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
