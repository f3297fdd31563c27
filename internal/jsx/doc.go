// Package jsx is the one place where Smoke touches syscall/js. Everything the
// JS face (package wasm) and the js halves of pkg/* do with JavaScript goes
// through it, so that the rules below are kept in one file instead of in
// every caller. Its API exists only with GOOS=js.
//
// # Why
//
// In the browser one unrecovered panic in any goroutine, or one blocking call
// inside a js.FuncOf callback, kills the whole Go module for the page
// (docs/ARCHITECTURE.md, decision 6). syscall/js makes both easy: Value.Call panics when
// JavaScript throws, Value.Get and Value.Set let a throwing getter or setter
// unwind straight through the Go stack (wasm_exec.js wraps only call, invoke
// and new in try/catch), js.ValueOf panics on a Go type it does not know, and
// a js.FuncOf callback has no way to throw at all. jsx turns each of these
// into an error:
//
//   - [Call], [Invoke], [New], [Get] and [Set] return a JavaScript exception
//     as an error (a [*Error]) instead of panicking.
//   - [Await] turns a Promise into (js.Value, error) and gives up on
//     ctx.Done; [Promise] turns Go work into a Promise that runs in a new
//     goroutine, never inside the callback that asked for it.
//   - [FuncOf] makes a synchronous JS function whose Go errors and panics
//     reach JavaScript as a thrown Error.
//   - [CallbackSafe] and [Events] call user JavaScript so that a throwing
//     handler never breaks the Go code that called it.
//   - [AddEventListener] returns remove func(), the one way to undo it.
//
// # Callbacks must not block
//
// A Go function that JavaScript calls (through FuncOf, AddEventListener or
// any js.FuncOf) runs while the page's event loop waits for it. It must not
// block: no channel receive that waits for another event, no [Await], no
// lock that a goroutine holds across a JS round trip. Work that may block goes
// into [Promise] (for JS callers) or a goroutine of its own.
//
// # Errors
//
// A JavaScript exception becomes a [*Error] with the thrown value's name and
// message ([ErrorFrom]); a Go error becomes a JavaScript Error with the Go
// text ([ErrorValue]), and an [*Error] that came from JavaScript goes back
// as the very value that was thrown. So a JS exception that crosses Go on its
// way back to JS arrives unchanged.
//
// The only logging in jsx is console.error, for what it has to swallow: a
// throwing listener in [Events.Emit], a panic in an [AddEventListener]
// callback.
package jsx
