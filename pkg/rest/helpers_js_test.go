//go:build js

package rest_test

import "github.com/smokenet/smoke/pkg/node"

// testWebRTC: in the browser there is nothing to set; Chromium's flags already keep WebRTC on loopback.
func testWebRTC() *node.WebRTCSettings { return nil }
