//go:build !js

package readme

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/smokenet/smoke/internal/testing/hubtest"
)

// TestGoProgram builds the README's Go program in a fresh module (this repository replacing the published one) and
// runs it against a real smoke-hub, which the program reaches at the README's URL rewritten to the hub's port.
func TestGoProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a program")
	}
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllSubmatch(readme, -1)
	var program string
	for _, b := range blocks {
		if strings.HasPrefix(string(b[1]), "package main") {
			program = string(b[1])
		}
	}
	if program == "" {
		t.Fatal("README.md has no Go program (a ```go block starting with package main)")
	}
	const readmeURL = "ws://localhost:5000/"
	if !strings.Contains(program, readmeURL) {
		t.Fatalf("the README's program does not use %s", readmeURL)
	}
	url := hubtest.Start(t)
	program = strings.Replace(program, readmeURL, url, 1)

	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"main.go": program,
		"go.mod":  "module newcomer\n\ngo 1.26\n\nrequire github.com/smokenet/smoke v0.0.0\n\nreplace github.com/smokenet/smoke => " + root + "\n",
		"go.sum":  string(sum),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	// -mod=mod lets the go command complete go.mod from the module cache (the tests run offline).
	cmd := exec.CommandContext(ctx, "go", "run", "-mod=mod", ".")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's program failed: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`^[a-z2-7]{16}: ready\nhello\n$`).Match(out) {
		t.Fatalf("the README's program printed %q, want \"<address>: ready\\nhello\\n\"", out)
	}
}
