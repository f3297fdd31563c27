package server

import "encoding/binary"

// frameTracker follows WebSocket framing (RFC 6455 section 5.2) through a byte stream fed to it in pieces of any
// size. It does not interpret frames, only finds where each one ends, so that the layers under coder/websocket can
// act at frame boundaries (see leanConn and frameWriter). coder/websocket still parses and validates every frame.
type frameTracker struct {
	hdr       [14]byte // the current frame's header, as far as seen
	hn        uint8    // header bytes seen; 0 at a frame boundary
	hlen      uint8    // header length, known once two bytes are seen
	inPayload bool
	left      uint64 // payload bytes of the current frame not yet seen

	// About the frames that ended:
	lastControl bool // the last frame was a control frame (close, ping, pong)
	fragmented  bool // a data frame without FIN began a message whose final frame has not come yet

	// limit, when not 0, is the largest message allowed; tooBig is set once the data frames of a message announce
	// more than that in their headers, before their payload arrives.
	limit  uint64
	msgLen uint64 // payload announced so far by the data frames of the current message
	tooBig bool
}

// feed advances the tracker over p.
func (t *frameTracker) feed(p []byte) {
	for len(p) > 0 {
		if t.inPayload {
			k := min(uint64(len(p)), t.left)
			t.left -= k
			p = p[k:]
			if t.left == 0 {
				t.end()
			}
			continue
		}
		t.hdr[t.hn] = p[0]
		t.hn++
		p = p[1:]
		if t.hn == 2 {
			t.hlen = 2
			switch t.hdr[1] & 0x7f {
			case 126:
				t.hlen += 2
			case 127:
				t.hlen += 8
			}
			if t.hdr[1]&0x80 != 0 { // masked
				t.hlen += 4
			}
		}
		if t.hn >= 2 && t.hn == t.hlen {
			switch n := t.hdr[1] & 0x7f; n {
			case 126:
				t.left = uint64(binary.BigEndian.Uint16(t.hdr[2:4]))
			case 127:
				t.left = binary.BigEndian.Uint64(t.hdr[2:10])
			default:
				t.left = uint64(n)
			}
			t.inPayload = true
			if op := t.hdr[0] & 0x0f; op < 8 && t.limit > 0 {
				if op != 0 { // text or binary: a new message (continuation frames add to the current one)
					t.msgLen = 0
				}
				t.msgLen += min(t.left, t.limit+1) // saturating: no overflow whatever the headers say
				if t.msgLen > t.limit {
					t.tooBig = true
				}
			}
			if t.left == 0 {
				t.end()
			}
		}
	}
}

func (t *frameTracker) end() {
	op := t.hdr[0] & 0x0f
	t.lastControl = op >= 8
	if op < 8 { // text, binary or continuation: FIN says whether the message is complete
		t.fragmented = t.hdr[0]&0x80 == 0
	}
	t.hn, t.hlen, t.inPayload = 0, 0, false
}

// atBoundary reports whether the bytes fed so far end exactly where a frame ended.
func (t *frameTracker) atBoundary() bool { return t.hn == 0 && !t.inPayload }

// idleAfterControl reports whether the bytes fed so far end with a control frame that is not inside a fragmented
// message: coder/websocket, having handled it, would block reading the next frame header.
func (t *frameTracker) idleAfterControl() bool {
	return t.atBoundary() && t.lastControl && !t.fragmented
}
