package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Table is a section value that prints a table of its own rather than a
// column of figures (the abuse cases).
type Table interface {
	WriteTable(w io.Writer) error
}

// WriteTable prints the human table: one row per figure, one column per
// section (or a table per section, with Separate); then the sections that
// are tables of their own; then the pass lines.
func (r *Report) WriteTable(w io.Writer) error {
	var columns []column
	var tables []Table
	for _, s := range r.sections {
		if t, ok := s.table(); ok {
			tables = append(tables, t)
			continue
		}
		c, err := s.column()
		if err != nil {
			return err
		}
		columns = append(columns, c)
	}
	if r.Separate {
		for i, c := range columns {
			if i > 0 {
				fmt.Fprintln(w)
			}
			if err := writeColumns(w, []column{c}); err != nil {
				return err
			}
		}
	} else if err := writeColumns(w, columns); err != nil {
		return err
	}
	for _, t := range tables {
		if len(columns) > 0 {
			fmt.Fprintln(w)
		}
		if err := t.WriteTable(w); err != nil {
			return err
		}
	}
	if len(r.verdicts) > 0 {
		fmt.Fprintln(w)
		for _, v := range r.verdicts {
			v.Write(w)
		}
	}
	return nil
}

// table returns the section's own table, if it is one.
func (s *Section) table() (Table, bool) {
	if len(s.Parts) != 1 {
		return nil, false
	}
	t, ok := s.Parts[0].(Table)
	return t, ok
}

// column is a section as the table shows it: its figures in order, each
// rendered, lists and objects left out (they are for the JSON only).
type column struct {
	name  string
	keys  []string
	cells map[string]string
}

func (s *Section) column() (column, error) {
	c := column{name: s.Name, cells: map[string]string{}}
	b, err := s.MarshalJSON()
	if err != nil {
		return c, err
	}
	fields, err := objectFields(b)
	if err != nil {
		return c, fmt.Errorf("%s: %w", s.Name, err)
	}
	for _, f := range fields {
		if cell, ok := formatValue(f.value); ok {
			c.keys = append(c.keys, f.name)
			c.cells[f.name] = cell
		}
	}
	return c, nil
}

// writeColumns prints one row per figure and one column per section.
func writeColumns(w io.Writer, columns []column) error {
	if len(columns) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	// Rows in the order of the richest section, then any others.
	bySize := slices.Clone(columns)
	slices.SortStableFunc(bySize, func(a, b column) int { return len(b.keys) - len(a.keys) })
	var keys []string
	seen := map[string]bool{}
	for _, c := range bySize {
		for _, k := range c.keys {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	head := []string{"figure"}
	for _, c := range columns {
		head = append(head, c.name)
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for _, k := range keys {
		row := []string{k}
		for _, c := range columns {
			row = append(row, c.cells[k])
		}
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	return nil
}

// formatValue renders a JSON value for the table; lists and objects are
// not shown.
func formatValue(v json.RawMessage) (string, bool) {
	if len(v) == 0 {
		return "", false
	}
	switch v[0] {
	case '[', '{':
		return "", false
	case 'n': // null
		return "", true
	case '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return string(v), true
		}
		return s, true
	case 't', 'f':
		return string(v), true
	}
	return formatNumber(string(v)), true
}

// formatNumber renders a number: integers as they are, other values with
// three significant digits or so.
func formatNumber(s string) string {
	if !strings.ContainsAny(s, ".eE") {
		return s
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	a := math.Abs(x)
	switch {
	case x == math.Trunc(x) && a < 1e15:
		return fmt.Sprintf("%.0f", x)
	case a >= 100:
		return fmt.Sprintf("%.0f", x)
	case a >= 10:
		return fmt.Sprintf("%.1f", x)
	case a >= 0.1:
		return fmt.Sprintf("%.2f", x)
	default:
		return strconv.FormatFloat(x, 'g', 3, 64)
	}
}
