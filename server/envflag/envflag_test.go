package envflag

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func newTestSet() (*Set, *int, *time.Duration, *string) {
	s := New("test", "SKIRMISH_")
	n := s.Int("max-conns-per-ip", 64, "connections per IP")
	d := s.Duration("hello-timeout", 5*time.Second, "time to send Hello")
	secret := s.String("session-secret", "", "HMAC key")
	s.Secret("session-secret")
	return s, n, d, secret
}

func TestEnvFillsWhatFlagsLeave(t *testing.T) {
	s, n, d, secret := newTestSet()
	env := map[string]string{
		"SKIRMISH_MAX_CONNS_PER_IP": "7",
		"SKIRMISH_HELLO_TIMEOUT":    "9s",
		"SKIRMISH_SESSION_SECRET":   "hunter2hunter2hunter2hunter2hunter2",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	if err := s.Parse([]string{"-hello-timeout", "2s"}, lookup); err != nil {
		t.Fatal(err)
	}
	if *n != 7 || *d != 2*time.Second || *secret != env["SKIRMISH_SESSION_SECRET"] {
		t.Fatalf("got %d %v %q: the flag must win over env, env over default", *n, *d, *secret)
	}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).LogAttrs(t.Context(), slog.LevelInfo, "config", s.Effective()...)
	if strings.Contains(logged.String(), "hunter2") || !strings.Contains(logged.String(), "redacted") {
		t.Fatalf("effective configuration leaks or hides the secret badly: %s", logged.String())
	}
	if !strings.Contains(logged.String(), "hello-timeout=\"2s [flag]\"") || !strings.Contains(logged.String(), "max-conns-per-ip=\"7 [env]\"") {
		t.Fatalf("sources missing: %s", logged.String())
	}
}

func TestBadEnvValueIsAnErrorThatHidesSecrets(t *testing.T) {
	s, _, _, _ := newTestSet()
	err := s.Parse(nil, func(k string) (string, bool) {
		return "not-a-number", k == "SKIRMISH_MAX_CONNS_PER_IP"
	})
	if err == nil || !strings.Contains(err.Error(), "SKIRMISH_MAX_CONNS_PER_IP") {
		t.Fatalf("err = %v", err)
	}
}

func TestUsageNamesVariablesAndNeverSecrets(t *testing.T) {
	s, _, _, secret := newTestSet()
	*secret = "hunter2hunter2hunter2hunter2hunter2" // even if a default slipped in
	var out bytes.Buffer
	s.PrintUsage(&out)
	u := out.String()
	for _, want := range []string{"SKIRMISH_MAX_CONNS_PER_IP", "(default 64)", "SKIRMISH_SESSION_SECRET", "secret: never printed", "(default 5s)"} {
		if !strings.Contains(u, want) {
			t.Errorf("usage lacks %q:\n%s", want, u)
		}
	}
	if strings.Contains(u, "hunter2") {
		t.Fatalf("usage prints a secret:\n%s", u)
	}
}

func TestMarkdownListsEveryFlagWithoutSecrets(t *testing.T) {
	s, _, _, secret := newTestSet()
	*secret = "hunter2hunter2hunter2hunter2hunter2"
	var b bytes.Buffer
	s.PrintMarkdown(&b)
	got := b.String()
	for _, want := range []string{
		"| `-max-conns-per-ip int` | `SKIRMISH_MAX_CONNS_PER_IP` | `64` | connections per IP |",
		"| `-hello-timeout duration` | `SKIRMISH_HELLO_TIMEOUT` | `5s` | time to send Hello |",
		"| `-session-secret string` | `SKIRMISH_SESSION_SECRET` | (secret) | HMAC key |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("markdown lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "hunter2") {
		t.Fatal("markdown shows a secret")
	}
}
