//go:build js

package rest_test

import "github.com/pion/webrtc/v4"

// testWebRTC: in the browser, Chromium's flags already keep WebRTC on loopback.
func testWebRTC() *webrtc.SettingEngine { return nil }
