package server

import "testing"

func TestCleanName(t *testing.T) {
	for in, want := range map[string]string{
		"alice":                      "alice",
		"  bob  ":                    "bob",
		"":                           defaultName,
		"\u202eevil\u202c":           "evil", // bidi override
		"a\u200bb\u200dc\ufeffd":     "abcd", // zero-width space, joiner, BOM
		"a\u2066b\u2069":             "ab",   // bidi isolates
		"tab\there\nnew":             "tab here new",
		"x\u0000\u001b[31my":         "x[31my", // control characters
		"a\u2028b":                   "a b",    // line separator
		"\ue000priv":                 "priv",   // private use
		"αβγδεζηθικλμνξοπρστ":        "αβγδεζηθικλμνξοπ",
		"\u200b\u200b":               defaultName,
		"sixteen chars ok":           "sixteen chars ok",
		"a                        b": "a b",
	} {
		if got := cleanName(in); got != want {
			t.Errorf("cleanName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOriginPolicy(t *testing.T) {
	p, err := newOriginPolicy([]string{"https://Friends.example", " "})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		origin, host string
		ok           bool
	}{
		{"http://game.example:8080", "game.example:8080", true},
		{"https://friends.example", "game.example", true},
		{"https://evil.example", "game.example", false},
		{"null", "game.example", false},
		{"http://game.example", "game.example:8080", false},
	} {
		if got := p.allows(c.origin, c.host); got != c.ok {
			t.Errorf("allows(%q, %q) = %v", c.origin, c.host, got)
		}
	}
	if _, err := newOriginPolicy([]string{"friends.example"}); err == nil {
		t.Error("an origin without a scheme was accepted")
	}
	if p, _ := newOriginPolicy([]string{"*"}); !p.allows("https://evil.example", "x") {
		t.Error("* does not allow any origin")
	}
}
