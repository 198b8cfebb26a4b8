package measure

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestStatsMergeAndJSON(t *testing.T) {
	a := Stats{Bots: 2, Connected: 2, Snapshots: 10, WindowNanos: 5, CloseCodes: map[string]int64{"1000": 1}}
	a.Gap.Record(33000)
	b := Stats{Bots: 3, Connected: 1, Snapshots: 5, WindowNanos: 7, CloseCodes: map[string]int64{"1000": 2, "1009": 1}, TickRate: 30}
	b.Gap.Record(40000)
	var m Stats
	m.Merge(&a)
	m.Merge(&b)
	if m.Bots != 5 || m.Connected != 3 || m.Snapshots != 15 || m.WindowNanos != 7 || m.TickRate != 30 || m.Gap.Count() != 2 {
		t.Fatalf("merged %+v", m)
	}
	if m.CloseCodes["1000"] != 3 || m.CloseCodes["1009"] != 1 {
		t.Fatalf("close codes %v", m.CloseCodes)
	}
	if a.CloseCodes["1000"] != 1 {
		t.Fatal("merge modified its source")
	}
	js, err := json.Marshal(&m)
	if err != nil {
		t.Fatal(err)
	}
	var back Stats
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, m) {
		t.Fatalf("stats changed through JSON:\n%+v\n%+v", back, m)
	}
	if got := CountsString(m.CloseCodes); got != "1000=3 1009=1" {
		t.Fatalf("countsString = %q", got)
	}
}
