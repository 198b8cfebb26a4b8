package measure

import (
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
)

// Histogram is a fixed-bucket, log-linear histogram of non-negative integer
// samples (microseconds, bytes, ...). Values below 2^histSubBits are exact;
// above, every power of two is split into 2^histSubBits equal buckets, so the
// relative error of a reported quantile is below 2^-histSubBits (~3%).
//
// Histograms of the same layout merge by adding counts, so workers and
// processes each keep their own and the report merges them; no per-sample
// slice is ever kept. The zero value is ready to use. A Histogram is not
// safe for concurrent use: each goroutine owns its own.
type Histogram struct {
	counts [histBuckets]uint64
	n      uint64
	sum    float64
	min    int64
	max    int64
}

const (
	histSubBits  = 5
	histSubCount = 1 << histSubBits
	// histMaxExp bounds the range: samples of 2^histMaxExp or more land in
	// the last bucket (2^40 µs is twelve days).
	histMaxExp  = 40
	histBuckets = (histMaxExp - histSubBits + 1) * histSubCount
	histMaxVal  = int64(1)<<histMaxExp - 1
)

// histIndex returns the bucket of v (v already clamped to [0, histMaxVal]).
func histIndex(v int64) int {
	if v < histSubCount {
		return int(v)
	}
	e := bits.Len64(uint64(v)) - 1
	shift := e - histSubBits
	return (shift+1)*histSubCount + int(v>>uint(shift)) - histSubCount
}

// histBounds returns the smallest value of bucket i and the bucket width.
func histBounds(i int) (lo, width int64) {
	if i < histSubCount {
		return int64(i), 1
	}
	shift := i/histSubCount - 1
	m := int64(i%histSubCount + histSubCount)
	return m << uint(shift), int64(1) << uint(shift)
}

// Record adds one sample. Negative samples count as 0.
func (h *Histogram) Record(v int64) {
	if v < 0 {
		v = 0
	}
	if v > histMaxVal {
		v = histMaxVal
	}
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n++
	h.sum += float64(v)
	h.counts[histIndex(v)]++
}

// Count is the number of samples.
func (h *Histogram) Count() uint64 { return h.n }

// Min is the smallest sample (0 when empty).
func (h *Histogram) Min() int64 { return h.min }

// Max is the largest sample (0 when empty).
func (h *Histogram) Max() int64 { return h.max }

// Mean is the arithmetic mean of the samples (0 when empty).
func (h *Histogram) Mean() float64 {
	if h.n == 0 {
		return 0
	}
	return h.sum / float64(h.n)
}

// Quantile returns the value below or at which a fraction q of the samples
// lie (nearest rank), as the middle of its bucket, clamped to the observed
// minimum and maximum. It returns 0 for an empty histogram.
func (h *Histogram) Quantile(q float64) int64 {
	if h.n == 0 {
		return 0
	}
	switch {
	case q <= 0 || math.IsNaN(q):
		return h.min
	case q >= 1:
		return h.max
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		if c == 0 {
			continue
		}
		seen += c
		if seen >= rank {
			lo, w := histBounds(i)
			v := lo + (w-1)/2
			return min(max(v, h.min), h.max)
		}
	}
	return h.max
}

// Merge adds every sample of o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil || o.n == 0 {
		return
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.n += o.n
	h.sum += o.sum
	for i, c := range o.counts {
		h.counts[i] += c
	}
}

// Reset forgets every sample.
func (h *Histogram) Reset() { *h = Histogram{} }

// histJSON is the sparse wire form of a Histogram: only non-empty buckets.
type histJSON struct {
	N       uint64      `json:"n"`
	Sum     float64     `json:"sum"`
	Min     int64       `json:"min"`
	Max     int64       `json:"max"`
	Buckets [][2]uint64 `json:"buckets,omitempty"` // [index, count]
}

// MarshalJSON encodes the histogram sparsely so that processes can ship
// theirs to the coordinator.
func (h *Histogram) MarshalJSON() ([]byte, error) {
	j := histJSON{N: h.n, Sum: h.sum, Min: h.min, Max: h.max}
	for i, c := range h.counts {
		if c != 0 {
			j.Buckets = append(j.Buckets, [2]uint64{uint64(i), c})
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes what MarshalJSON produced.
func (h *Histogram) UnmarshalJSON(b []byte) error {
	var j histJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("histogram: %w", err)
	}
	*h = Histogram{n: j.N, sum: j.Sum, min: j.Min, max: j.Max}
	var total uint64
	for _, bc := range j.Buckets {
		if bc[0] >= histBuckets {
			return fmt.Errorf("histogram: bucket %d out of range", bc[0])
		}
		h.counts[bc[0]] += bc[1]
		total += bc[1]
	}
	if total != j.N {
		return fmt.Errorf("histogram: bucket counts sum to %d, want %d", total, j.N)
	}
	return nil
}
