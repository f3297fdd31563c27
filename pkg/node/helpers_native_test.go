//go:build !js

package node_test

import (
	"github.com/pion/webrtc/v4"

	"github.com/smokenet/smoke/internal/testing/webrtctest"
)

// testWebRTC keeps pion on the loopback interface (webrtctest.Loopback).
func testWebRTC() *webrtc.SettingEngine { return webrtctest.Loopback() }
