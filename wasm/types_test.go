//go:build !js

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestTypes compiles testdata/usage.ts and testdata/script-usage.ts with tsc --noEmit (strict) against the
// package's types, resolved through node_modules/@smokenet/smoke and package.json "exports" as in a user's
// project. usage.ts holds the original smoke README's examples verbatim and every part of the API; its @ts-expect-error lines must
// fail to compile. TypeScript is npm/'s devDependency, installed by make npm.
func TestTypes(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: tsc cannot run (install Node.js, then run make npm)")
	}
	npmDir, err := filepath.Abs(filepath.Join("..", "npm"))
	if err != nil {
		t.Fatal(err)
	}
	tsc := filepath.Join(npmDir, "node_modules", "typescript", "bin", "tsc")
	if _, err := os.Stat(tsc); err != nil {
		t.Fatalf("TypeScript is not installed in npm/: run make npm (it runs npm ci there): %v", err)
	}
	dir := t.TempDir()
	link := filepath.Join(dir, "node_modules", filepath.FromSlash(pkgName))
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(npmDir, link); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"usage.ts", "script-usage.ts"} {
		if err := copyFile(filepath.Join("testdata", f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	config := `{
  "compilerOptions": {
    "target": "es2022",
    "module": "esnext",
    "moduleResolution": "bundler",
    "lib": ["es2022", "dom"],
    "types": [],
    "strict": true,
    "noEmit": true,
    "skipLibCheck": false,
    "skipDefaultLibCheck": true
  },
  "files": ["usage.ts", "script-usage.ts"]
}
`
	if err := os.WriteFile(filepath.Join(dir, "tsconfig.json"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, tsc, "-p", dir)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tsc --noEmit: %v\n%s", err, out)
	}
}
