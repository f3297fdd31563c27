//go:build linux

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// benchSite is a folder served cross-origin isolated (serveIsolated) for a browser section: the npm package as it
// is published under /pkg/, the section's scripts at the root, and index.html, which loads the package as
// window.smoke, imports the scripts (module scripts; classic ones, *.classic.js, before the package) and sets
// window.benchReady.
type benchSite struct {
	url   string
	built time.Duration // building the npm package
	stop  func()
	dir   string
}

// newBenchSite stages and serves a site for section: files are paths below the repository root.
func (e *env) newBenchSite(ctx context.Context, section string, files ...string) (*benchSite, error) {
	dir, err := os.MkdirTemp("", "smoke-bench-"+section+"-")
	if err != nil {
		return nil, err
	}
	s := &benchSite{dir: dir, stop: func() {}}
	ok := false
	defer func() {
		if !ok {
			s.close()
		}
	}()
	e.progress("%s: building the npm package (npm/build.sh)", section)
	start := time.Now()
	if err := e.stageNPM(ctx, filepath.Join(dir, "pkg")); err != nil {
		return nil, err
	}
	s.built = time.Since(start)
	var classic, modules strings.Builder
	for _, f := range files {
		name := filepath.Base(f)
		if err := copyTo(filepath.Join(e.root, f), filepath.Join(dir, name)); err != nil {
			return nil, err
		}
		if strings.HasSuffix(name, ".classic.js") || name == "raw.js" {
			classic.WriteString(`<script src="/` + name + `"></script>` + "\n")
		} else {
			modules.WriteString("await import('/" + name + "').then((m) => { window.bench = { ...window.bench, ...m } })\n")
		}
	}
	page := `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,">
` + classic.String() + `<script type="module">
import * as smoke from '/pkg/index.js'
window.smoke = smoke
` + modules.String() + `window.benchReady = true
</script>
`
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte(page), 0o644); err != nil {
		return nil, err
	}
	if s.url, s.stop, err = serveIsolated(dir); err != nil {
		return nil, err
	}
	ok = true
	return s, nil
}

func (s *benchSite) close() {
	s.stop()
	os.RemoveAll(s.dir)
}
