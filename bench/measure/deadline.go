package measure

import "strconv"

// DeadlineStats judges when peers were closed against the deadline each
// one was given: lateness = closed − deadline. A peer is closed in time
// when 0 ≤ lateness ≤ grace (and, if WantCode is set, with that close
// code); before its deadline it was closed early (a server that cuts
// peers too soon is wrong too). It merges like Stats: plain counts and a
// histogram.
type DeadlineStats struct {
	Peers    int64 `json:"peers"`     // peers of this kind
	Stalled  int64 `json:"stalled"`   // set up and stalled
	Closed   int64 `json:"closed"`    // closed by the server
	InTime   int64 `json:"in_time"`   // closed in [deadline, deadline + grace] (with WantCode)
	Early    int64 `json:"early"`     // closed before the deadline
	Late     int64 `json:"late"`      // closed after deadline + grace
	WrongEnd int64 `json:"wrong_end"` // closed in time, but not with WantCode
	// Lateness of the peers closed at or after their deadline, µs.
	Lateness Histogram `json:"lateness_us"`
	// MinLateUs and MaxLateUs are signed (an early close is negative).
	MinLateUs  int64            `json:"min_late_us"`
	MaxLateUs  int64            `json:"max_late_us"`
	CloseCodes map[string]int64 `json:"close_codes,omitempty"`

	GraceUs  int64 `json:"grace_us"`
	WantCode int   `json:"want_code,omitempty"` // 0: any (or none)
}

// Record adds a peer closed lateUs after its deadline with close code
// code (0: no close frame).
func (d *DeadlineStats) Record(lateUs int64, code int) {
	if d.Closed == 0 || lateUs < d.MinLateUs {
		d.MinLateUs = lateUs
	}
	if d.Closed == 0 || lateUs > d.MaxLateUs {
		d.MaxLateUs = lateUs
	}
	d.Closed++
	name := "none"
	if code != 0 {
		name = strconv.Itoa(code)
	}
	Count(&d.CloseCodes, name)
	switch {
	case lateUs < 0:
		d.Early++
		return
	case lateUs > d.GraceUs:
		d.Late++
	case d.WantCode != 0 && code != d.WantCode:
		d.WrongEnd++
	default:
		d.InTime++
	}
	d.Lateness.Record(lateUs)
}

// NotClosed is how many stalled peers the server never closed.
func (d *DeadlineStats) NotClosed() int64 { return d.Stalled - d.Closed }

// AllInTime reports whether every peer was set up, stalled and closed in
// time.
func (d *DeadlineStats) AllInTime() bool {
	return d.Peers > 0 && d.Stalled == d.Peers && d.InTime == d.Peers
}
