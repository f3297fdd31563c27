//go:build js

package node_test

import "github.com/smokenet/smoke/pkg/node"

// testWebRTC: in the browser there is nothing to set; Chromium's flags (see internal/testing/browser) keep WebRTC on
// loopback.
func testWebRTC() *node.WebRTCSettings { return nil }
