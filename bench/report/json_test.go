package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

type partA struct {
	Zeta  int64   `json:"zeta"`
	Alpha float64 `json:"alpha"`
}

type partB struct {
	Mid   string   `json:"mid"`
	Maybe *float64 `json:"maybe,omitempty"`
}

// A section joins its parts' JSON objects in order, keeps a list section
// as a list, and refuses a figure given twice.
func TestSectionJoinsPartsInOrder(t *testing.T) {
	s := &Section{Name: "s", Parts: []any{partA{3, 2.5}, partB{Mid: "x"}, nil, struct{}{}}}
	b, err := s.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"zeta":3,"alpha":2.5,"mid":"x"}` {
		t.Fatalf("json %s", b)
	}
	l := &Section{Name: "l", Parts: []any{[]int{1, 2}}}
	if b, err := l.MarshalJSON(); err != nil || string(b) != `[1,2]` {
		t.Fatalf("list section %s %v", b, err)
	}
	d := &Section{Name: "d", Parts: []any{partA{}, partA{}}}
	if _, err := d.MarshalJSON(); err == nil || !strings.Contains(err.Error(), `"zeta" given twice`) {
		t.Fatalf("duplicate figure: %v", err)
	}
}

// The table shows every scalar figure in the JSON's order and format,
// one column per section, rows of the richest section first.
func TestTableShowsTheJSON(t *testing.T) {
	r := New("t")
	r.Add("one", partA{Zeta: 1, Alpha: 1234.5678}, partB{Mid: "m", Maybe: new(0.01234)})
	r.Add("two", partA{Zeta: 2, Alpha: 12.345}, struct {
		Series []float64 `json:"series"`
		Ok     bool      `json:"ok"`
	}{[]float64{1}, true})
	var out bytes.Buffer
	if err := r.WriteTable(&out); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"figure  one     two   ",
		"zeta    1       2     ",
		"alpha   1235    12.3  ",
		"mid     m             ",
		"maybe   0.0123        ",
		"ok              true  ",
	}
	got := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("table:\n%s\nwant:\n%s", out.String(), strings.Join(want, "\n"))
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["two"]["series"] == nil || doc["meta"]["command"] != "t" {
		t.Fatalf("json %s", b)
	}
	if _, ok := doc["meta"]["pass"]; ok {
		t.Fatalf("pass in the metadata of a report without a verdict: %s", b)
	}
}

func TestFormatNumber(t *testing.T) {
	for in, want := range map[string]string{
		"3": "3", "-1": "-1", "1234567": "1234567", "2.5": "2.50", "0.05": "0.05", "0.0001234": "0.000123",
		"150.4": "150", "33.33": "33.3", "1e-7": "1e-07", "100.0": "100",
	} {
		if got := formatNumber(in); got != want {
			t.Errorf("formatNumber(%s) = %s, want %s", in, got, want)
		}
	}
}
