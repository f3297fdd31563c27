//go:build !js

package node

import (
	"github.com/pion/ice/v4"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"
)

// newAPI builds the pion API natively. Unless the application brings its own SettingEngine: loopback candidates
// are included (a loopback-only host, like the test namespace, has no other); mDNS candidates are off (they hide
// addresses behind names that need multicast to resolve, which a server process gains nothing from); pion does not
// log.
func newAPI(se *webrtc.SettingEngine) *webrtc.API {
	var s webrtc.SettingEngine
	if se != nil {
		s = *se
	} else {
		s.SetIncludeLoopbackCandidate(true)
		s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
		s.LoggerFactory = quietLogs()
	}
	return webrtc.NewAPI(webrtc.WithSettingEngine(s))
}

// quietLogs silences pion: a library does not write to the application's stderr. An application that wants
// pion's logs passes its own SettingEngine with a LoggerFactory.
func quietLogs() logging.LoggerFactory {
	return &logging.DefaultLoggerFactory{DefaultLogLevel: logging.LogLevelDisabled}
}

// onLocalCandidate sends each local ICE candidate to f as the JSON the remote's addIceCandidate takes.
func onLocalCandidate(pc *webrtc.PeerConnection, f func(webrtc.ICECandidateInit)) (release func()) {
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			f(c.ToJSON())
		}
	})
	return func() {}
}

// closeOnPageExit has nothing to do outside the browser: a process that exits takes its sockets with it, and its
// peers' ICE notices.
func closeOnPageExit(pc *webrtc.PeerConnection) (release func()) { return func() {} }
