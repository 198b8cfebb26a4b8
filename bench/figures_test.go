package bench

import (
	"encoding/json"
	"testing"
)

func TestFiguresJSONKeepsOrder(t *testing.T) {
	f := NewFigures()
	f.Set("zeta", int64(1))
	f.Set("alpha", 2.5)
	f.Set("mid", "x")
	f.Set("zeta", int64(3))
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"zeta":3,"alpha":2.5,"mid":"x"}` {
		t.Fatalf("json %s", b)
	}
}
