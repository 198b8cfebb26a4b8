package clientweb

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, path string, header http.Header) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestServesIndexAtRoot(t *testing.T) {
	h := Handler()
	for _, path := range []string{"/", "/index.html"} {
		res := get(t, h, http.MethodGet, path, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d", path, res.StatusCode)
		}
		if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", path, ct)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q", path, cc)
		}
		if b := body(t, res); !strings.Contains(b, `<script src="app.js"`) {
			t.Errorf("GET %s: page does not load app.js:\n%s", path, b)
		}
	}
}

func TestServesAppJSAsBuilt(t *testing.T) {
	want, err := os.ReadFile("dist/app.js")
	if err != nil {
		t.Fatal(err)
	}
	res := get(t, Handler(), http.MethodGet, "/app.js", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/javascript; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control %q", cc)
	}
	if b := body(t, res); b != string(want) {
		t.Errorf("body is %d bytes, dist/app.js %d", len(b), len(want))
	}
}

func TestServesStylesheet(t *testing.T) {
	res := get(t, Handler(), http.MethodGet, "/style.css", nil)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/css; charset=utf-8" {
		t.Fatalf("status %d, Content-Type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

func TestRevalidationByETag(t *testing.T) {
	h := Handler()
	etag := get(t, h, http.MethodGet, "/app.js", nil).Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	res := get(t, h, http.MethodGet, "/app.js", http.Header{"If-None-Match": {etag}})
	if res.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match with current ETag: status %d, want 304", res.StatusCode)
	}
}

func TestUnknownPathsAre404(t *testing.T) {
	h := Handler()
	for _, path := range []string{"/nope", "/dist/app.js", "/app.js/", "/../embed.go", "/ws"} {
		if res := get(t, h, http.MethodGet, path, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, res.StatusCode)
		}
	}
}

func TestOnlyGetAndHead(t *testing.T) {
	h := Handler()
	res := get(t, h, http.MethodHead, "/", nil)
	if res.StatusCode != http.StatusOK || body(t, res) != "" {
		t.Errorf("HEAD /: status %d or non-empty body", res.StatusCode)
	}
	if res := get(t, h, http.MethodPost, "/", nil); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: status %d, want 405", res.StatusCode)
	}
}
