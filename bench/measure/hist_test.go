package measure

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
)

func TestHistogramExactSmallValues(t *testing.T) {
	var h Histogram
	for v := int64(0); v < histSubCount; v++ {
		h.Record(v)
	}
	for _, q := range []float64{0.25, 0.5, 0.75} {
		want := int64(math.Ceil(q*histSubCount)) - 1
		if got := h.Quantile(q); got != want {
			t.Errorf("Quantile(%v) = %d, want %d", q, got, want)
		}
	}
	if h.Min() != 0 || h.Max() != histSubCount-1 || h.Count() != histSubCount {
		t.Errorf("min %d max %d count %d", h.Min(), h.Max(), h.Count())
	}
}

func TestHistogramQuantilesWithinBucketError(t *testing.T) {
	var h Histogram
	const n = 100000
	for v := int64(1); v <= n; v++ {
		h.Record(v)
	}
	for _, q := range []float64{0.01, 0.5, 0.9, 0.99, 0.999} {
		want := q * n
		got := float64(h.Quantile(q))
		if rel := math.Abs(got-want) / want; rel > 1.0/histSubCount {
			t.Errorf("Quantile(%v) = %v, want %v ±%.1f%% (off by %.2f%%)", q, got, want, 100.0/histSubCount, rel*100)
		}
	}
	if got, want := h.Mean(), (n+1)/2.0; math.Abs(got-want) > 1e-6 {
		t.Errorf("Mean = %v, want %v", got, want)
	}
	if h.Quantile(0) != 1 || h.Quantile(1) != n {
		t.Errorf("Quantile(0) = %d, Quantile(1) = %d", h.Quantile(0), h.Quantile(1))
	}
}

func TestHistogramBucketsAreContiguous(t *testing.T) {
	prevHi := int64(0)
	for i := 0; i < histBuckets; i++ {
		lo, w := histBounds(i)
		if lo != prevHi {
			t.Fatalf("bucket %d starts at %d, previous ended at %d", i, lo, prevHi)
		}
		if histIndex(lo) != i || histIndex(lo+w-1) != i {
			t.Fatalf("bucket %d [%d, %d) does not index back to itself", i, lo, lo+w)
		}
		prevHi = lo + w
	}
	if prevHi != histMaxVal+1 {
		t.Fatalf("buckets end at %d, want %d", prevHi, histMaxVal+1)
	}
}

func TestHistogramClampsAndEmpty(t *testing.T) {
	var h Histogram
	if h.Quantile(0.5) != 0 || h.Mean() != 0 {
		t.Fatal("empty histogram should report 0")
	}
	h.Record(-5)
	h.Record(math.MaxInt64)
	if h.Min() != 0 || h.Max() != histMaxVal {
		t.Errorf("min %d max %d", h.Min(), h.Max())
	}
}

func TestHistogramMergeEqualsCombined(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var a, b, all Histogram
	for i := 0; i < 20000; i++ {
		v := int64(rng.ExpFloat64() * 30000)
		all.Record(v)
		if i%3 == 0 {
			a.Record(v)
		} else {
			b.Record(v)
		}
	}
	var m Histogram
	m.Merge(&a)
	m.Merge(&b)
	m.Merge(nil)
	if m != all {
		t.Fatal("merged histogram differs from the one that saw every sample")
	}
}

func TestHistogramJSONRoundTrip(t *testing.T) {
	var h Histogram
	for v := int64(0); v < 5000; v += 7 {
		h.Record(v * v)
	}
	b, err := json.Marshal(&h)
	if err != nil {
		t.Fatal(err)
	}
	var back Histogram
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back != h {
		t.Fatal("histogram changed through JSON")
	}
	if err := json.Unmarshal([]byte(`{"n":2,"buckets":[[1,1]]}`), &back); err == nil {
		t.Fatal("inconsistent counts accepted")
	}
	if err := json.Unmarshal([]byte(`{"n":1,"buckets":[[999999,1]]}`), &back); err == nil {
		t.Fatal("out-of-range bucket accepted")
	}
}
