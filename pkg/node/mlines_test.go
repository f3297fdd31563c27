package node

import (
	"strings"
	"testing"
)

// TestMediaLines reads m-lines as the browsers and pion write them: a Firefox renegotiation offer puts each m-line
// it adds at port 0 with bundle-only, which is not a rejection; port 0 alone is.
func TestMediaLines(t *testing.T) {
	sdp := strings.ReplaceAll(`v=0
a=sendrecv
m=application 53029 UDP/DTLS/SCTP webrtc-datachannel
a=mid:0
m=video 33943 UDP/TLS/RTP/SAVPF 120
a=sendonly
a=mid:1
m=video 0 UDP/TLS/RTP/SAVPF 120
a=bundle-only
a=sendonly
a=mid:2
m=audio 9 UDP/TLS/RTP/SAVPF 109
a=recvonly
a=mid:3
m=video 0 UDP/TLS/RTP/SAVPF 96
a=sendonly
a=mid:4
m=audio 9 UDP/TLS/RTP/SAVPF 111
a=inactive
a=mid:5
m=video 9 UDP/TLS/RTP/SAVPF 96
a=mid:6
`, "\n", "\r\n")
	lines := mediaLines(sdp)
	for _, c := range []struct {
		mid                string
		ownSends, remSends bool
	}{
		{"1", true, false},
		{"2", true, false}, // bundle-only: offered, not rejected
		{"3", false, true},
		{"4", false, false}, // port 0 without bundle-only: rejected
		{"5", false, false},
		{"6", true, true}, // no direction attribute: sendrecv
	} {
		l, ok := lines[c.mid]
		if !ok {
			t.Errorf("mid %s: missing", c.mid)
			continue
		}
		if l.sends(true) != c.ownSends || l.sends(false) != c.remSends {
			t.Errorf("mid %s: %+v sends(own) %v sends(remote) %v, want %v %v", c.mid, l, l.sends(true), l.sends(false), c.ownSends, c.remSends)
		}
	}
	if _, ok := lines["0"]; ok {
		t.Error("the data channel's m-line counted as media")
	}
}
