package server_test

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// The Grafana dashboard shipped in docs/grafana: it must load, have the
// panels operators look for, and ask only for metrics a real server
// exposes.

type dashboard struct {
	Title  string `json:"title"`
	UID    string `json:"uid"`
	Panels []struct {
		ID      int    `json:"id"`
		Title   string `json:"title"`
		Type    string `json:"type"`
		GridPos *struct {
			H, W, X, Y int
		} `json:"gridPos"`
		Targets []struct {
			RefID string `json:"refId"`
			Expr  string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Query struct {
				Query string `json:"query"`
			} `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

func TestDashboardQueriesExposedMetrics(t *testing.T) {
	raw, err := os.ReadFile("../docs/grafana/skirmish.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("the dashboard is not valid JSON: %v", err)
	}
	if d.Title == "" || d.UID == "" || len(d.Panels) == 0 {
		t.Fatalf("dashboard without a title, uid or panels: %q %q %d", d.Title, d.UID, len(d.Panels))
	}
	var titles []string
	ids := map[int]bool{}
	for _, p := range d.Panels {
		titles = append(titles, p.Title)
		if ids[p.ID] || p.ID == 0 || p.GridPos == nil || p.GridPos.W == 0 || p.GridPos.H == 0 || len(p.Targets) == 0 {
			t.Errorf("panel %q: id %d (unique, not 0), a grid position and targets wanted", p.Title, p.ID)
		}
		ids[p.ID] = true
	}
	for _, want := range []string{"Players", "Rooms", "Tick time p99 against the budget", "Bandwidth per player", "Closes by code"} {
		if !slices.Contains(titles, want) {
			t.Errorf("no panel %q among %q", want, titles)
		}
	}

	exposed := exposedNames(scrapeAfterPlay(t).families)
	check := func(where, expr string, names []string, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("%s: %v", where, err)
			return
		}
		if len(names) == 0 {
			t.Errorf("%s: %q names no metric", where, expr)
		}
		for _, n := range names {
			if !exposed[n] {
				t.Errorf("%s: %q asks for %s, which /metrics does not expose", where, expr, n)
			}
		}
	}
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			names, err := promqlMetrics(tg.Expr)
			check(fmt.Sprintf("panel %q target %s", p.Title, tg.RefID), tg.Expr, names, err)
		}
	}
	for _, v := range d.Templating.List {
		m := labelValuesRE.FindStringSubmatch(v.Query.Query)
		if m == nil {
			t.Errorf("variable %s: query %q is not label_values(metric, label)", v.Name, v.Query.Query)
			continue
		}
		check("variable "+v.Name, v.Query.Query, []string{m[1]}, nil)
	}
}

// exposedNames are the series names of a scrape: a histogram's _bucket,
// _sum and _count, a summary's _sum and _count, anything else's own name.
func exposedNames(fams map[string]*dto.MetricFamily) map[string]bool {
	names := map[string]bool{}
	for name, f := range fams {
		switch f.GetType() {
		case dto.MetricType_HISTOGRAM:
			names[name+"_bucket"], names[name+"_sum"], names[name+"_count"] = true, true, true
		case dto.MetricType_SUMMARY:
			names[name], names[name+"_sum"], names[name+"_count"] = true, true, true
		default:
			names[name] = true
		}
	}
	return names
}

var (
	labelValuesRE = regexp.MustCompile(`^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{[^}]*\})?\s*,\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)$`)
	stringRE      = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
	bracesRE      = regexp.MustCompile(`\{[^{}]*\}`)
	rangeRE       = regexp.MustCompile(`\[[^\[\]]*\]`)
	groupingRE    = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)`)
	identRE       = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	promqlWords   = []string{"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan", "atan2"}
	promqlFuncs   = []string{
		"abs", "absent", "avg", "avg_over_time", "ceil", "clamp", "clamp_max", "clamp_min", "count", "count_over_time",
		"delta", "deriv", "floor", "group", "histogram_quantile", "idelta", "increase", "irate", "label_replace",
		"max", "max_over_time", "min", "min_over_time", "quantile", "quantile_over_time", "rate", "resets", "round",
		"scalar", "sort", "sort_desc", "sum", "sum_over_time", "time", "topk", "bottomk", "vector",
	}
)

// promqlMetrics returns the metric names a PromQL expression selects. It
// knows enough PromQL for dashboards: label matchers, ranges, grouping
// clauses and string literals are dropped first; what is left is
// functions (followed by a parenthesis), keywords, numbers and metric
// names.
func promqlMetrics(expr string) ([]string, error) {
	e := stringRE.ReplaceAllString(expr, `""`)
	e = bracesRE.ReplaceAllString(e, " ")
	e = rangeRE.ReplaceAllString(e, " ")
	e = groupingRE.ReplaceAllString(e, " ")
	var names []string
	for _, loc := range identRE.FindAllStringIndex(e, -1) {
		word := e[loc[0]:loc[1]]
		if loc[0] > 0 && (e[loc[0]-1] == '.' || e[loc[0]-1] >= '0' && e[loc[0]-1] <= '9') {
			continue // part of a number: 1e3, 0.5
		}
		rest := strings.TrimLeft(e[loc[1]:], " \t\n")
		switch {
		case strings.HasPrefix(rest, "("):
			if !slices.Contains(promqlFuncs, word) {
				return nil, fmt.Errorf("%q: unknown function %s", expr, word)
			}
		case slices.Contains(promqlWords, strings.ToLower(word)):
		default:
			names = append(names, word)
		}
	}
	return names, nil
}

func TestPromQLMetrics(t *testing.T) {
	for expr, want := range map[string][]string{
		`sum by (mode) (skirmish_players{instance=~"$instance"})`:                                                   {"skirmish_players"},
		`histogram_quantile(0.99, sum by (le, mode) (rate(skirmish_tick_seconds_bucket{a="}"}[$__rate_interval])))`: {"skirmish_tick_seconds_bucket"},
		`sum(rate(a_total[5m])) / clamp_min(sum(b), 1e3) > bool 0.5`:                                                {"a_total", "b"},
		`x offset 5m and on (job) y`: {"x", "y"},
	} {
		got, err := promqlMetrics(expr)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("promqlMetrics(%q) = %q, %v; want %q", expr, got, err, want)
		}
	}
	if _, err := promqlMetrics(`no_such_function(x)`); err == nil {
		t.Error("an unknown function passed")
	}
}
