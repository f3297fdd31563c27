// Package browser is a hermetic headless-browser rig for tests: Chromium,
// and Firefox for the tests that run in both engines.
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
// # Firefox
//
// [StartFirefox] (or [NewFirefox] in a test) launches Firefox ESR
// ($SMOKE_FIREFOX, or /usr/bin/firefox-esr) with a fresh profile. chromedp
// speaks only the DevTools protocol, so Firefox is driven over WebDriver BiDi
// by a Node.js script, firefox/driver.mjs, with npm puppeteer-core (installed
// by `make firefox-rig` from firefox/package-lock.json; it downloads no
// browser). [FirefoxPage] has the methods that tests share with [Page]
// through [Tab]: Navigate, Reload, Evaluate, SetViewport, Console and Close;
// [Engine] opens a Tab in either browser.
//
// WebRTC in Firefox inside a namespace that has only lo needs what
// [FirefoxOptions] explains: Firefox gathers no ICE candidates there unless
// loopback candidates are allowed, host addresses are not hidden behind mDNS
// names, and the page's exact origin holds a camera or microphone permission
// (or the namespace has a default route through lo). The permission must
// hold in every user context, and comes from a defaults file that Firefox
// reads when it starts, so a test gives the origins of its servers to
// StartFirefox.
//
// # Wasm
//
// The package drives a browser from a native process, so every file except
// this one is built with !js. Under GOOS=js the package is empty.
package browser
