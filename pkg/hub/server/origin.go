package server

import (
	"net/http"
	"net/url"
	"path"
	"strings"
)

// checkOrigin applies Options.AllowedOrigins to a request's Origin header and returns why it is refused, or "".
//
// With no list, any origin may connect (a public hub serving pages from anywhere). With a list, the Origin must
// match an entry: an entry with a scheme ("https://app.example.org") matches scheme://host[:port], one without
// matches the host[:port] (path.Match patterns, case-insensitive). Unlike coder/websocket's own check, an Origin
// naming the request's own Host is not let in for that alone: the Host header is the client's to choose, and a
// page on a rebound DNS name would pass it. A request without an Origin header does not come from a browser
// page, and is let in (any program can send any Origin anyway; Token is what keeps programs out).
func (s *Server) checkOrigin(r *http.Request) string {
	if len(s.opts.AllowedOrigins) == 0 {
		return ""
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return ""
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return "origin " + truncate(origin, 64) + " is not a URL with a host"
	}
	for _, pattern := range s.opts.AllowedOrigins {
		target := u.Host
		if strings.Contains(pattern, "://") {
			target = u.Scheme + "://" + u.Host
		}
		if ok, _ := path.Match(strings.ToLower(pattern), strings.ToLower(target)); ok {
			return ""
		}
	}
	return "origin " + truncate(origin, 64) + " is not allowed"
}
