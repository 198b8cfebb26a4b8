package server

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/skirmishgg/skirmish/game"
)

func testSecret(b byte) []byte { return bytes.Repeat([]byte{b}, MinSecretBytes) }

func TestSessionTokens(t *testing.T) {
	s, err := NewSessions(testSecret('k'))
	if err != nil {
		t.Fatal(err)
	}
	want := game.Session{Room: "room-1", Incarnation: 1<<63 + 7, Player: 42}
	copy(want.Secret[:], "0123456789abcdef")
	tok := s.Issue(want)
	got, err := s.Verify(tok)
	if err != nil || got != want {
		t.Fatalf("Verify = %+v, %v; want %+v", got, err, want)
	}
	// Forged: another key, a changed payload, garbage.
	other, _ := NewSessions(testSecret('o'))
	payload, mac, _ := strings.Cut(tok, ".")
	for name, bad := range map[string]string{
		"other key":      other.Issue(want),
		"edited payload": flipFirst(payload) + "." + mac,
		"no mac":         payload,
		"short payload":  "AAAA." + mac,
		"garbage":        "!!!.???",
		"empty":          "",
	} {
		if _, err := s.Verify(bad); err != ErrTokenInvalid {
			t.Errorf("%s: Verify err %v, want ErrTokenInvalid", name, err)
		}
	}
	// Random secrets differ.
	a, _ := NewSessions(nil)
	b, _ := NewSessions(nil)
	if _, err := b.Verify(a.Issue(want)); err != ErrTokenInvalid {
		t.Fatalf("two random secrets accept each other's tokens: %v", err)
	}
}

// TestNewSessionsRefusesShortSecrets: an operator's secret shorter than
// MinSecretBytes is an error at start, and the error does not repeat it.
func TestNewSessionsRefusesShortSecrets(t *testing.T) {
	short := []byte("hunter2-hunter2-hunter2-hunter2") // 31 bytes
	_, err := NewSessions(short)
	if !errors.Is(err, ErrShortSecret) {
		t.Fatalf("NewSessions(%d bytes): %v, want ErrShortSecret", len(short), err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("the error shows the secret: %v", err)
	}
	if _, err := NewSessions(append(short, 'x')); err != nil {
		t.Fatalf("NewSessions(%d bytes): %v", len(short)+1, err)
	}
}

// flipFirst changes the first character of a base64url string.
func flipFirst(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}
