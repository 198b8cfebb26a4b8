package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// Figures is an ordered set of named results (stable snake_case names).
// It marshals to a JSON object in insertion order, and the table shows the
// rows in that order.
type Figures struct {
	keys []string
	vals map[string]any
}

// NewFigures returns an empty set.
func NewFigures() *Figures { return &Figures{vals: map[string]any{}} }

// Set adds or replaces a figure. Values are numbers or strings.
func (f *Figures) Set(key string, v any) {
	if _, ok := f.vals[key]; !ok {
		f.keys = append(f.keys, key)
	}
	if x, ok := v.(float64); ok && (math.IsNaN(x) || math.IsInf(x, 0)) {
		v = 0.0
	}
	f.vals[key] = v
}

// Get returns a figure.
func (f *Figures) Get(key string) (any, bool) {
	v, ok := f.vals[key]
	return v, ok
}

// Float returns a numeric figure as float64 (0 if absent or not numeric).
func (f *Figures) Float(key string) float64 {
	switch v := f.vals[key].(type) {
	case float64:
		return v
	case int64:
		return float64(v)
	case int:
		return float64(v)
	case uint32:
		return float64(v)
	}
	return 0
}

// Keys lists the figure names in order.
func (f *Figures) Keys() []string { return f.keys }

// MarshalJSON writes the figures as one object, in order.
func (f *Figures) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range f.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		vb, err := json.Marshal(f.vals[k])
		if err != nil {
			return nil, fmt.Errorf("figure %s: %w", k, err)
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// format renders a value for the table.
func formatFigure(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
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
	default:
		return fmt.Sprint(x)
	}
}
