// Package browser is a hermetic headless-Chromium rig for tests.
//
// [Start] (or [New] in a test) launches Chromium through chromedp with a fixed
// list of flags and a fresh profile directory. [Browser.NewPage] opens a tab
// in a browser context of its own, so two pages share no cookies, storage or
// IndexedDB. [Serve] puts files on a loopback port for pages to load, and
// [Page.RunWasm] runs a GOOS=js GOARCH=wasm program in a page; [RunWasm] does
// that in a browser of its own, which is what internal/cmd/wasmbrowser does
// for go test -exec. [BuildWasm] and [BuildWasmTest] build such programs.
//
// Everything stays on 127.0.0.1: the rig never listens on, or points a page
// at, another address, so tests run the same inside a network namespace that
// has only lo (unshare -n).
//
// Chromium is $SMOKE_CHROMIUM, or /usr/bin/chromium. A missing browser is an
// error, never a skip: a browser test that silently does not run proves
// nothing.
//
// # Wasm
//
// The package drives a browser from a native process, so every file except
// this one is built with !js. Under GOOS=js the package is empty.
package browser
