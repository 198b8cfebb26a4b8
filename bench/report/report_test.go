package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVerdictPassFailSkip(t *testing.T) {
	v := &Verdict{Scenario: "x"}
	v.Add("a", true, "fine %d", 1)
	v.Skip("b", "not measured")
	if !v.Pass() || v.Line() != "x: PASS" {
		t.Fatalf("pass %v line %q", v.Pass(), v.Line())
	}
	v.Add("c", false, "broken")
	v.Add("d", false, "broken too")
	if v.Pass() {
		t.Fatal("a failed check passed")
	}
	if got := v.Line(); got != "x: FAIL (c, d)" {
		t.Fatalf("line %q", got)
	}
	var b bytes.Buffer
	v.Write(&b)
	for _, want := range []string{"x: FAIL (c, d)", "  ok    a: fine 1", "  skip  b: not measured", "  FAIL  c: broken"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
}

// A report with a verdict carries pass and checks in its JSON, in the
// section judged (and pass in the metadata), prints the pass line after
// the table (lists stay out of the table).
func TestReportVerdictJSONAndTable(t *testing.T) {
	rep := New("t")
	s := rep.Add("s", struct {
		N      int64     `json:"n"`
		Series []float64 `json:"series"`
	}{3, []float64{1, 2}})
	v := &Verdict{Scenario: "s"}
	v.Add("works", false, "no")
	rep.AddVerdict(s, v)
	if rep.Pass() {
		t.Fatal("a report with a failed verdict passed")
	}
	path := filepath.Join(t.TempDir(), "r.json")
	if err := rep.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := rep.WriteTable(&out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "series") || !strings.Contains(out.String(), "s: FAIL (works)") {
		t.Errorf("table:\n%s", out.String())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Meta struct {
			Pass *bool `json:"pass"`
		} `json:"meta"`
		S struct {
			Pass   *bool   `json:"pass"`
			Checks []Check `json:"checks"`
			Series []float64
		} `json:"s"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Meta.Pass == nil || *doc.Meta.Pass || doc.S.Pass == nil || *doc.S.Pass {
		t.Errorf("pass flags wrong: %s", raw)
	}
	if len(doc.S.Checks) != 1 || doc.S.Checks[0].Name != "works" || doc.S.Checks[0].OK {
		t.Errorf("checks: %+v", doc.S.Checks)
	}
	if len(doc.S.Series) != 2 {
		t.Errorf("series not in the JSON: %s", raw)
	}
	// A verdict kept in the metadata carries the pass there.
	m := New("m")
	m.AddVerdict(nil, &Verdict{Scenario: "m"})
	b, err := json.Marshal(m)
	if err != nil || !strings.Contains(string(b), `"pass":true,"checks":null}`) || strings.Count(string(b), `"pass"`) != 1 {
		t.Errorf("meta verdict: %s %v", b, err)
	}
}
