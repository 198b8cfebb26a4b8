package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestEnvironmentSetsTheOperationsFlags(t *testing.T) {
	env := map[string]string{
		"SKIRMISH_LOG_FORMAT":    "json",
		"SKIRMISH_DRAIN_TIMEOUT": "30s",
		"SKIRMISH_DRAIN_WARNING": "2s",
	}
	o, _, err := parseOptions(nil, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if o.logFormat != "json" || o.drainTimeout != 30*time.Second || o.srv.DrainWarning != 2*time.Second {
		t.Fatalf("log format %q, drain timeout %v, warning %v", o.logFormat, o.drainTimeout, o.srv.DrainWarning)
	}
	if _, _, err := parseOptions([]string{"-log-format", "xml"}, noEnv); err == nil {
		t.Fatal("-log-format xml accepted")
	}
}

func noEnv(string) (string, bool) { return "", false }

func TestVersionPrintsTheBuild(t *testing.T) {
	defer func(v, c string) { version, commit = v, c }(version, commit)
	version, commit = "v9.9.9", "0123abc"
	var out bytes.Buffer
	if err := run([]string{"-version"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.HasPrefix(got, "skirmish v9.9.9 (go") || !strings.Contains(got, "commit 0123abc") {
		t.Fatalf("-version printed %q", got)
	}
}

// TestOperationsDocListsEveryFlag keeps the flag table of
// docs/operations.md what `skirmish -h` says. SKIRMISH_UPDATE_DOCS=1
// rewrites it.
func TestOperationsDocListsEveryFlag(t *testing.T) {
	const path = "../../../docs/operations.md"
	const begin, end = "<!-- flags: generated from skirmish -h by TestOperationsDocListsEveryFlag -->\n", "<!-- end of flags -->\n"
	_, fs, err := parseOptions(nil, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	fs.PrintMarkdown(&table)
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok := strings.Cut(string(doc), begin)
	_, after, ok2 := strings.Cut(rest, end)
	if !ok || !ok2 {
		t.Fatalf("%s lacks the markers %q and %q", path, begin, end)
	}
	want := before + begin + table.String() + end + after
	if want == string(doc) {
		return
	}
	if os.Getenv("SKIRMISH_UPDATE_DOCS") != "" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("the flag table of %s is stale: run SKIRMISH_UPDATE_DOCS=1 go test ./server/cmd/skirmish -run TestOperationsDocListsEveryFlag", path)
}

// TestJSONLogs runs the binary with -log-format json: every line on
// stderr is a JSON object, the configuration among them.
func TestJSONLogs(t *testing.T) {
	p := startBinary(t, "-log-format", "json")
	p.signal(t, syscall.SIGTERM)
	p.waitExit(t, 30*time.Second)
	var msgs []string
	for _, line := range strings.Split(strings.TrimSpace(p.stderrBuf.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not a JSON line: %q: %v", line, err)
		}
		msg, _ := rec["msg"].(string)
		msgs = append(msgs, msg)
		if msg == "configuration" && (rec["build"] == nil || rec["drain-timeout"] == nil) {
			t.Errorf("configuration line without the build or the flags: %s", line)
		}
	}
	if len(msgs) == 0 || msgs[0] != "configuration" || msgs[len(msgs)-1] != "stopped" {
		t.Fatalf("log lines %q: want the configuration first and stopped last", msgs)
	}
}
