//go:build js

package jsx_test

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"

	"github.com/smokenet/smoke/internal/jsx"
)

// A synchronous method whose error JavaScript catches, and an async one that
// may block because its work runs in a goroutine. (Under GOOS=js the testing
// package cannot capture an example's output, so this one only compiles; the
// same calls run in TestFuncOf and TestPromise.)
func Example() {
	port := jsx.FuncOf(func(_ js.Value, args []js.Value) (any, error) {
		if len(args) == 0 || args[0].Type() != js.TypeNumber {
			return nil, &jsx.Error{Name: "TypeError", Message: "port must be a number"}
		}
		return args[0].Int(), nil
	})
	defer port.Release()
	fetch := jsx.FuncOf(func(_ js.Value, args []js.Value) (any, error) {
		path := args[0].String()
		return jsx.Promise(func(ctx context.Context) (any, error) {
			if path != "/" {
				return nil, errors.New("rest: 404 " + path)
			}
			return "hello world", nil
		}), nil
	})
	defer fetch.Release()

	api, _ := jsx.Object(map[string]any{"port": port, "fetch": fetch})
	script, _ := jsx.Call(js.Global(), "eval", `(async (api) => {
		const out = [];
		try { api.port("80") } catch (e) { out.push(e.name + ": " + e.message) }
		out.push(await api.fetch("/"));
		await api.fetch("/x").catch((e) => out.push(e.message));
		return out.join("\n");
	})`)
	out, err := jsx.Await(context.Background(), script.Invoke(api))
	fmt.Println(out, err)
	// Prints:
	// TypeError: port must be a number
	// hello world
	// rest: 404 /x <nil>
}
