// Package clientweb serves the browser demo client, built into dist/ by
// `npm run build` and embedded in the binary.
//
// The server mounts Handler at "/" and the WebSocket at "/ws" on the same
// port; the client connects to /ws on the host that served it.
package clientweb

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// dist is committed: CI rebuilds it and fails if it differs, so a plain
// `go build` never needs node.
//
//go:embed all:dist
var dist embed.FS

// contentTypes is fixed here rather than taken from package mime, whose
// answer depends on the host's /etc/mime.types.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".json": "application/json",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/x-icon",
	".map":  "application/json",
}

type file struct {
	body        []byte
	contentType string
	etag        string
}

var (
	filesOnce sync.Once
	files     map[string]file // by URL path, "/" for index.html
)

// load reads dist once. The files are small and few, and hashing them up
// front gives each a strong ETag, so "no-cache" revalidations are cheap 304s.
func load() {
	files = make(map[string]file)
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // cannot happen: "dist" is a valid path
	}
	err = fs.WalkDir(sub, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(sub, name)
		if err != nil {
			return err
		}
		ct, ok := contentTypes[path.Ext(name)]
		if !ok {
			ct = http.DetectContentType(body)
		}
		sum := sha256.Sum256(body)
		f := file{body: body, contentType: ct, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
		files["/"+name] = f
		if name == "index.html" {
			files["/"] = f
		}
		return nil
	})
	if err != nil {
		panic("clientweb: reading embedded dist: " + err.Error())
	}
}

// Handler serves the embedded client: "/" and "/index.html" give the page,
// "/app.js" and the other files of dist/ themselves; anything else is 404.
// Every response says Cache-Control: no-cache, so browsers always revalidate
// (by ETag) and never run a stale client against a newer server.
func Handler() http.Handler {
	filesOnce.Do(load)
	return http.HandlerFunc(serve)
}

func serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	f, ok := files[p]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", f.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	// ServeContent handles HEAD, Range and If-None-Match; the zero modtime
	// keeps it from sending Last-Modified (embedded files have none).
	http.ServeContent(w, r, p, time.Time{}, bytes.NewReader(f.body))
}
