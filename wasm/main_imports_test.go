//go:build !js

package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// notInWasm are packages smoke.wasm must not link, with why. Importing net/http, even for its types, links its
// package initialisation and with it the TLS, X.509 and elliptic-curve code: about 0.4 MB of smoke.wasm after
// brotli, for a browser that can never use it (docs/ARCHITECTURE.md). The REST face goes through pkg/rest/restcore
// and the hub's WebSocket through pkg/hub/internal/ws, which do not import it.
var notInWasm = map[string]string{
	"net/http":    "links TLS and X.509 code (pkg/rest/restcore, pkg/hub/internal/ws)",
	"crypto/tls":  "a browser node never dials TLS itself",
	"crypto/x509": "a browser node never checks certificates itself",
	"log/slog":    "0.1 MB of smoke.wasm; pkg/rest/restcore takes a Logger interface",
	"mime":        "40 kB of smoke.wasm; restcore parses the one media type it needs",
	"crypto/rand": "links Go's FIPS 140 module, 0.1 MB of smoke.wasm and an init; internal/random asks the browser",
}

// TestWasmImports fails when the browser build of this package imports any of notInWasm, directly or not, and
// says through which package.
func TestWasmImports(t *testing.T) {
	goCmd := os.Getenv("GO")
	if goCmd == "" {
		goCmd = "go"
	}
	cmd := exec.Command(goCmd, "list", "-deps", "-f", `{{.ImportPath}}:{{join .Imports " "}}`, ".")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := map[string]bool{}
	importers := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ":")
		deps[pkg] = true
		for _, imp := range strings.Fields(imports) {
			importers[imp] = append(importers[imp], pkg)
		}
	}
	if len(deps) < 20 || !deps["syscall/js"] {
		t.Fatalf("go list found %d packages, without syscall/js: not the browser build", len(deps))
	}
	for pkg, why := range notInWasm {
		if deps[pkg] {
			t.Errorf("the browser build imports %s (imported by %s): it must not, %s", pkg, strings.Join(importers[pkg], ", "), why)
		}
	}
}
