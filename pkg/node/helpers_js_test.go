//go:build js

package node_test

import "github.com/pion/webrtc/v4"

// testWebRTC: in the browser, Chromium's flags (see internal/browser) already keep WebRTC on loopback.
func testWebRTC() *webrtc.SettingEngine { return nil }
