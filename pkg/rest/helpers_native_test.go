//go:build !js

package rest_test

import (
	"github.com/pion/webrtc/v4"

	"github.com/smokenet/smoke/internal/testing/webrtctest"
)

// testWebRTC keeps pion on the loopback interface (webrtctest.Loopback), as pkg/node's tests do.
func testWebRTC() *webrtc.SettingEngine { return webrtctest.Loopback() }
