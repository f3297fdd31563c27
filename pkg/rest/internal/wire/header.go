package wire

import "net/textproto"

// Header is a message head's fields, keyed by canonical name (textproto.CanonicalMIMEHeaderKey), as net/http's
// Header is. It is declared here rather than taken from net/http because importing net/http links its TLS and
// X.509 code into every program, the browser's smoke.wasm included (docs/ARCHITECTURE.md). The two convert
// freely: http.Header(h) and Header(httpHeader) share the map.
type Header map[string][]string

// Add adds value to the values of key.
func (h Header) Add(key, value string) {
	key = textproto.CanonicalMIMEHeaderKey(key)
	h[key] = append(h[key], value)
}

// Set sets key's only value.
func (h Header) Set(key, value string) { h[textproto.CanonicalMIMEHeaderKey(key)] = []string{value} }

// Get returns key's first value, or "".
func (h Header) Get(key string) string {
	if v := h[textproto.CanonicalMIMEHeaderKey(key)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Values returns all values of key.
func (h Header) Values(key string) []string { return h[textproto.CanonicalMIMEHeaderKey(key)] }

// Del deletes key.
func (h Header) Del(key string) { delete(h, textproto.CanonicalMIMEHeaderKey(key)) }

// Clone returns a deep copy of h, or nil if h is nil.
func (h Header) Clone() Header {
	if h == nil {
		return nil
	}
	c := make(Header, len(h))
	for k, v := range h {
		c[k] = append([]string(nil), v...)
	}
	return c
}
