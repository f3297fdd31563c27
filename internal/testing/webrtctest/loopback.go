//go:build !js

package webrtctest

import (
	"github.com/pion/ice/v4"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"
)

// Loopback is the pion setting of native tests and benchmarks: loopback candidates (the only ones a loopback-only
// namespace has, and outside one it keeps tests off the host's real interfaces), IPv4 UDP on lo only, no mDNS, no
// logs.
func Loopback() *webrtc.SettingEngine {
	var s webrtc.SettingEngine
	s.SetIncludeLoopbackCandidate(true)
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	s.LoggerFactory = &logging.DefaultLoggerFactory{DefaultLogLevel: logging.LogLevelDisabled}
	s.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	return &s
}
