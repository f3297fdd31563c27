// Package restcore is the REST protocol over Smoke sockets (internal/wire/SPEC.md) with its own small request,
// response and header types instead of net/http's: a Server that serves a Handler on a node's port and a Transport
// that sends requests to rest:// URLs. Package rest puts net/http's faces on it (http.Handler, http.RoundTripper),
// and its documentation says how the protocol behaves; the browser's JavaScript face (wasm/rest_js.go) drives this
// package directly.
//
// It exists because importing net/http, even for its types, links net/http's package initialisation and with it
// the TLS, X.509 and elliptic-curve code into a program: about a megabyte of smoke.wasm after compression, for a
// browser that can never use it (docs/ARCHITECTURE.md). A test (wasm/main_imports_test.go) keeps net/http out of the
// browser build.
package restcore
