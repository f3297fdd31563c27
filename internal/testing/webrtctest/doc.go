// Package webrtctest proves the browser test rig: its GOOS=js tests drive
// Chromium's RTCPeerConnection through pion/webrtc, over loopback only. Run
// them with
//
//	go build -o bin/wasmbrowser ./internal/cmd/wasmbrowser
//	GOOS=js GOARCH=wasm go test -exec=$PWD/bin/wasmbrowser ./internal/testing/webrtctest/
//
// inside a network namespace that has only lo (unshare -n), as CI does.
// Natively it holds Loopback, the pion setting of the native tests and
// benchmarks.
package webrtctest
