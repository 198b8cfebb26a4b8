package server

import (
	"strings"
	"testing"
	"time"
)

func TestSessionTokens(t *testing.T) {
	s, err := NewSessions([]byte("secret"), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	tok := s.Issue("room-1", 42, 3)
	room, player, gen, err := s.Verify(tok)
	if err != nil || room != "room-1" || player != 42 || gen != 3 {
		t.Fatalf("Verify = %q %d %d %v", room, player, gen, err)
	}
	// Forged: another key, a changed payload, garbage.
	other, _ := NewSessions([]byte("other"), time.Minute)
	payload, mac, _ := strings.Cut(tok, ".")
	for name, bad := range map[string]string{
		"other key":      other.Issue("room-1", 42, 3),
		"edited payload": flipFirst(payload) + "." + mac,
		"no mac":         payload,
		"garbage":        "!!!.???",
		"empty":          "",
	} {
		if _, _, _, err := s.Verify(bad); err != ErrTokenInvalid {
			t.Errorf("%s: Verify err %v, want ErrTokenInvalid", name, err)
		}
	}
	// Expired.
	s.now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	if _, _, _, err := s.Verify(tok); err != ErrTokenExpired {
		t.Fatalf("expired: %v", err)
	}
	// Random secrets differ.
	a, _ := NewSessions(nil, 0)
	b, _ := NewSessions(nil, 0)
	if _, _, _, err := b.Verify(a.Issue("r", 1, 0)); err != ErrTokenInvalid {
		t.Fatalf("two random secrets accept each other's tokens: %v", err)
	}
}

// flipFirst changes the first character of a base64url string.
func flipFirst(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}
