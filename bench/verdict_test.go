package bench

import (
	"bytes"
	"encoding/json"
	"errors"
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

func TestWithinRatio(t *testing.T) {
	for _, c := range []struct {
		before, after, tol float64
		want               bool
	}{
		{10, 11, 0.10, true},
		{10, 9, 0.10, true},
		{10, 11.01, 0.10, false},
		{10, 8.9, 0.10, false},
		{30, 33, 0.10, true}, // exactly on the bar, despite float error
		{0, 0, 0.10, true},
		{0, 1, 0.10, false},
	} {
		if got := WithinRatio(c.before, c.after, c.tol); got != c.want {
			t.Errorf("WithinRatio(%v, %v, %v) = %v", c.before, c.after, c.tol, got)
		}
	}
}

// A report with a verdict carries pass and checks in its JSON, prints
// the pass line after the table (lists stay out of the table), and
// finish reports the failure.
func TestReportVerdictJSONAndTable(t *testing.T) {
	rep := NewReport("t")
	f := NewFigures()
	f.Set("n", int64(3))
	f.Set("series", []float64{1, 2})
	rep.Add("s", f)
	v := &Verdict{Scenario: "s"}
	v.Add("works", false, "no")
	rep.AddVerdict(v, f)
	path := filepath.Join(t.TempDir(), "r.json")
	var out bytes.Buffer
	err := finish(rep, path, &out)
	if !errors.Is(err, errFailed) {
		t.Fatalf("finish: %v, want errFailed", err)
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
}

func TestMainExitStatusOnFail(t *testing.T) {
	// Usage errors are 2; a failed verdict is 1 (checked through the
	// error mapping, without a server).
	var stdout, stderr bytes.Buffer
	if code := Main(t.Context(), []string{"robust"}, &stdout, &stderr); code != 2 {
		t.Errorf("robust without -server: exit %d, want 2", code)
	}
	if code := Main(t.Context(), []string{"robust", "-server", "x", "-only", "nope"}, &stdout, &stderr); code != 2 {
		t.Errorf("robust -only nope: exit %d, want 2", code)
	}
}
