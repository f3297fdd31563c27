//go:build !js

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smokenet/smoke/internal/testing/browser"
	"github.com/smokenet/smoke/internal/testing/hubtest"
)

// The app the bundler tests build: two nodes on the page's hub echo a message over a socket, and the page shows the
// echo in window.result. It is TypeScript, type-checked against the package's types as a user's project would be.
const bundleApp = `
import type { Socket, SocketMessageEvent } from '@smokenet/smoke'

export async function echo(Node: typeof import('@smokenet/smoke').Node): Promise<string> {
  const a = new Node()
  const b = new Node()
  a.sockets.createServer((socket: Socket) => {
    socket.on('message', ({ data }: SocketMessageEvent) => socket.send('echo: ' + data))
  }).listen(7000)
  const socket = b.sockets.connect(await a.address(), 7000)
  return new Promise((resolve) => {
    socket.on('open', () => socket.send('hello'))
    socket.on('message', ({ data }: SocketMessageEvent) => resolve(String(data)))
  })
}
`

// With the default entry: top-level await, smoke.wasm found by new URL(…, import.meta.url) (Vite, webpack).
const bundleDefault = `
import { Node } from '@smokenet/smoke'
import { echo } from './echo'

;(window as any).result = await echo(Node)
`

// With @smokenet/smoke/load and the wasm's URL from the bundler: no top-level await (esbuild, any format).
const bundleLoad = `
import { load } from '@smokenet/smoke/load'
import wasm from '@smokenet/smoke/dist/smoke.wasm'
import { echo } from './echo'

load({ wasm }).then(({ Node }) => echo(Node)).then((r) => { (window as any).result = r })
`

// TestBundlers builds the app with esbuild (iife, the format that rejects top-level await) and with Vite, both from
// npm/'s lock file, serves each build with smoke-hub and runs it in Chromium.
func TestBundlers(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: the bundlers cannot run")
	}
	npmDir, err := filepath.Abs(filepath.Join("..", "npm"))
	if err != nil {
		t.Fatal(err)
	}
	bins := map[string]string{
		"esbuild": filepath.Join(npmDir, "node_modules", "esbuild", "bin", "esbuild"),
		"vite":    filepath.Join(npmDir, "node_modules", "vite", "bin", "vite.js"),
		"tsc":     filepath.Join(npmDir, "node_modules", "typescript", "bin", "tsc"),
		"webpack": filepath.Join(npmDir, "node_modules", "webpack-cli", "bin", "cli.js"),
	}
	for name, bin := range bins {
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("%s is not installed in npm/: run make npm (npm ci there): %v", name, err)
		}
	}
	pkg := getSite(t).pkg

	// The user's project: the sources, and the package installed in node_modules.
	app := t.TempDir()
	files := map[string]string{
		"echo.ts":        bundleApp,
		"app-default.ts": bundleDefault,
		"app-load.ts":    bundleLoad,
		"wasm.d.ts":      "declare module '*.wasm' {\n  const url: string\n  export default url\n}\n",
		"index.html":     `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>bundle</title><script type="module" src="/app-default.ts"></script>`,
		"vite.config.js": "export default { build: { target: 'es2022' }, logLevel: 'warn' }\n",
		"tsconfig.json": `{"compilerOptions": {"target": "es2022", "module": "esnext", "moduleResolution": "bundler",
  "lib": ["es2022", "dom"], "types": [], "strict": true, "noEmit": true},
  "files": ["echo.ts", "app-default.ts", "app-load.ts", "wasm.d.ts"]}`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(app, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := copyDir(pkg, filepath.Join(app, "node_modules", filepath.FromSlash(pkgName))); err != nil {
		t.Fatal(err)
	}
	// run runs a tool of npm/node_modules: a JavaScript file through node, or a native binary (esbuild's
	// install replaces its JavaScript launcher with the binary when it can) directly.
	run := func(t *testing.T, dir, bin string, args ...string) {
		t.Helper()
		cmd := exec.Command(node, append([]string{bin}, args...)...)
		if head, _ := os.ReadFile(bin); len(head) > 4 && string(head[:4]) == "\x7fELF" {
			cmd = exec.Command(bin, args...)
		}
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
		}
	}
	run(t, app, bins["tsc"], "-p", app)

	builds := map[string]func(t *testing.T, out string){
		// esbuild's recipe: the load entry, and the file loader for the wasm (it copies it beside the bundle).
		"esbuild": func(t *testing.T, out string) {
			run(t, app, bins["esbuild"], "app-load.ts", "--bundle", "--format=iife", "--outfile="+filepath.Join(out, "app.js"),
				"--loader:.wasm=file", "--log-level=warning")
			os.WriteFile(filepath.Join(out, "index.html"), []byte(`<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script src="app.js"></script>`), 0o644)
		},
		// webpack's recipe: nothing to do (the default entry).
		"webpack": func(t *testing.T, out string) {
			run(t, app, bins["esbuild"], "app-default.ts", "echo.ts", "--format=esm", "--outdir=wp", "--log-level=warning")
			os.WriteFile(filepath.Join(app, "wp", "app-default.js"), []byte(strings.Replace(
				mustRead(t, filepath.Join(app, "wp", "app-default.js")), `from "./echo"`, `from "./echo.js"`, 1)), 0o644)
			// webpack 5 takes top-level await and new URL(…, import.meta.url) as they are; TypeScript through a
			// loader would need more packages, so webpack bundles the JavaScript esbuild made of the app.
			config := fmt.Sprintf("export default { mode: 'production', entry: './wp/app-default.js', output: { path: %q }, "+
				"experiments: { topLevelAwait: true }, performance: { hints: false } }\n", out)
			os.WriteFile(filepath.Join(app, "webpack.config.mjs"), []byte(config), 0o644)
			run(t, app, bins["webpack"], "--config", "webpack.config.mjs")
			os.WriteFile(filepath.Join(out, "index.html"), []byte(`<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script src="main.js"></script>`), 0o644)
		},
		// Vite's recipe: nothing to do (the default entry; es2022 or later for the top-level await).
		"vite": func(t *testing.T, out string) {
			run(t, app, bins["vite"], "build", "--outDir", out, "--emptyOutDir")
		},
	}
	b := browser.New(t)
	for name, build := range builds {
		t.Run(name, func(t *testing.T) {
			out := t.TempDir()
			build(t, out)
			root := "http://" + strings.TrimSuffix(strings.TrimPrefix(hubtest.Start(t, "--web", out), "ws://"), "/")
			p := openPage(t, b, root+"/")
			waitJS(t, p, 2*time.Minute, "the bundled app's echo", `window.result === 'echo: hello'`)
		})
	}
}

// copyDir copies the files under from to to.
func copyDir(from, to string) error {
	return filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		return copyFile(path, filepath.Join(to, rel))
	})
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
