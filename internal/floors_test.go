//go:build !js

package internal_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportFloors checks that imports run downward (docs/ARCHITECTURE.md, import rules): no library — pkg/... or
// internal/jsx, internal/random — imports a test rig (internal/testing/...) or a tool (internal/cmd/...) outside
// its tests, and no rig imports a tool.
func TestImportFloors(t *testing.T) {
	const mod = "github.com/smokenet/smoke/"
	for _, goos := range []string{"linux", "js"} {
		cmd := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, mod+"...")
		cmd.Env = append(cmd.Environ(), "GOOS="+goos, "GOARCH="+map[string]string{"linux": "amd64", "js": "wasm"}[goos])
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list (%s): %v", goos, err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			fields := strings.Fields(line)
			pkg, imports := strings.TrimPrefix(fields[0], mod), fields[1:]
			isTool := strings.HasPrefix(pkg, "internal/cmd/") || strings.HasPrefix(pkg, "cmd/")
			isRig := strings.HasPrefix(pkg, "internal/testing/")
			for _, imp := range imports {
				imp = strings.TrimPrefix(imp, mod)
				switch {
				case isTool:
				case strings.HasPrefix(imp, "internal/cmd/"):
					t.Errorf("%s (%s) imports the tool %s", pkg, goos, imp)
				case !isRig && strings.HasPrefix(imp, "internal/testing/"):
					t.Errorf("the library %s (%s) imports the test rig %s", pkg, goos, imp)
				}
			}
		}
	}
}
