//go:build !js

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// examplePage is a page that runs an example of the original smoke README (testdata/examples/NAME.js, verbatim apart from the
// import line), then NAME.watch.js, which only reports the example's socket events on the console. mode "esm"
// imports the package's ESM entry; "script" includes dist/smoke.js and waits for Smoke.ready.
func examplePage(t *testing.T, mode, name string) string {
	t.Helper()
	read := func(file string) string {
		b, err := os.ReadFile(filepath.Join("testdata", "examples", file))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	example, watch := read(name+".js"), read(name+".watch.js")
	switch mode {
	case "esm":
		return pageHead + importMap + "\n<script type=\"module\">\nimport { Node } from '" + pkgName + "'\n\n" +
			example + "\n" + watch + "</script>\n"
	case "script":
		return pageHead + "<script src=\"/node_modules/" + pkgName + "/dist/smoke.js\"></script>\n<script>\n" +
			"Smoke.ready.then(() => {\nconst { Node } = Smoke\n\n" + example + "\n" + watch + "})\n</script>\n"
	}
	t.Fatalf("unknown mode %q", mode)
	return ""
}

// TestOriginalExamples runs the original smoke README's "Sockets and Loopback" example and the node2 → node3 example of
// "Nodes", verbatim apart from the import line, through the ESM entry and through the <script> build.
func TestOriginalExamples(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	for _, mode := range []string{"esm", "script"} {
		t.Run("SocketsAndLoopback/"+mode, func(t *testing.T) {
			t.Parallel()
			p := r.page(t, fmt.Sprintf("loopback-%s.html", mode), examplePage(t, mode, "sockets-loopback"))
			// socket0, socket1 (both to node0 itself) and socket3 (node1 → node0 over WebRTC) connect; node0
			// accepts each ("have socket"). socket2 is node1's own localhost, where nothing listens.
			want := []string{
				"log: watch: socket0 open", "log: watch: socket1 open", "log: watch: socket3 open",
				"log: watch: socket2 error ERR_PORT_NOT_LISTENING true", "log: watch: socket2 close 4404",
			}
			console := waitConsole(t, p, 60*time.Second, func(c []string) bool {
				for _, w := range want {
					if index(c, w) < 0 {
						return false
					}
				}
				return count(c, "log: have socket") == 3
			})
			time.Sleep(300 * time.Millisecond) // anything that should not come, would come now
			console = p.Console()
			if n := count(console, "log: have socket"); n != 3 {
				t.Errorf("%d × have socket, want 3", n)
			}
			if index(console, "log: watch: socket2 error ERR_PORT_NOT_LISTENING true") > index(console, "log: watch: socket2 close 4404") {
				t.Error("socket2: close came before error")
			}
			// socket2.on('error', console.log): the Error itself is logged.
			logged := false
			for _, c := range console {
				logged = logged || strings.HasPrefix(c, "log: Error: smoke: cannot connect to localhost:7000") && strings.Contains(c, "nothing listens")
			}
			if !logged {
				t.Error("socket2's error was not logged by console.log")
			}
			for _, bad := range []string{"socket0 error", "socket1 error", "socket3 error", "socket2 open", "socket0 close", "socket1 close", "socket3 close"} {
				for _, c := range console {
					if strings.Contains(c, "watch: "+bad) {
						t.Errorf("unexpected: %s", c)
					}
				}
			}
			noProblems(t, console)
		})

		t.Run("Nodes/"+mode, func(t *testing.T) {
			t.Parallel()
			p := r.page(t, fmt.Sprintf("nodes-%s.html", mode), examplePage(t, mode, "nodes"))
			console := waitConsole(t, p, 60*time.Second, func(c []string) bool {
				return index(c, "log: watch: socket close 1000 true") >= 0
			})
			open, hello, closed := index(console, "log: watch: socket open"), index(console, "log: hello"), index(console, "log: watch: socket close 1000 true")
			if open < 0 || hello < 0 || !(open < hello && hello < closed) {
				t.Errorf("want open, hello, close in that order; console:\n%s", strings.Join(console, "\n"))
			}
			noProblems(t, console)
		})
	}
}
