package scenario

import (
	"testing"

	"github.com/skirmishgg/skirmish/bench/report"
)

func TestRatioAndCheckJoined(t *testing.T) {
	if r := ratio(new(30.0), new(10.0)); r == nil || *r != 3 {
		t.Errorf("30/10 = %v", r)
	}
	if ratio(new(5.0), new(0.0)) != nil || ratio(nil, new(1.0)) != nil || ratio(new(1.0), nil) != nil {
		t.Error("a ratio of a figure missing or of a zero")
	}
	leg := func(joined, failed int64, ran bool) *legResult {
		l := &legResult{PlayResult: &PlayResult{Bots: 10, clientFigures: clientFigures{ClientsJoined: new(joined), ClientsFailed: failed}}}
		if !ran {
			l.Error = "broken"
		}
		return l
	}
	v := &report.Verdict{Scenario: "t"}
	checkJoined(v, "a", leg(10, 0, true))
	checkJoined(v, "b", leg(10, 0, false))
	checkJoined(v, "c", leg(9, 0, true))
	checkJoined(v, "d", leg(10, 1, true))
	checkJoined(v, "e", &legResult{})
	if !v.Checks[0].OK || v.Checks[1].OK || v.Checks[2].OK || v.Checks[3].OK || v.Checks[4].OK {
		t.Errorf("checks %+v", v.Checks)
	}
}
