package server

import (
	"fmt"
	"net/url"
	"strings"
)

// originPolicy decides which browser pages may open game connections: the
// page's own origin (its host equals the request's Host), the configured
// origins, or any with "*". A request without Origin does not come from a
// browser page and is not subject to it.
type originPolicy struct {
	any     bool
	allowed map[string]bool // "scheme://host[:port]", lower case
}

func newOriginPolicy(origins []string) (originPolicy, error) {
	p := originPolicy{allowed: map[string]bool{}}
	for _, o := range origins {
		o = strings.TrimSpace(o)
		switch {
		case o == "":
		case o == "*":
			p.any = true
		default:
			u, err := url.Parse(o)
			if err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" && u.Path != "/" {
				return p, fmt.Errorf("allowed origin %q: want scheme://host[:port]", o)
			}
			p.allowed[strings.ToLower(u.Scheme+"://"+u.Host)] = true
		}
	}
	return p, nil
}

// allows reports whether a page of origin may connect to host.
func (p originPolicy) allows(origin, host string) bool {
	if p.any {
		return true
	}
	origin = strings.ToLower(origin)
	if p.allowed[origin] {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, host)
}
