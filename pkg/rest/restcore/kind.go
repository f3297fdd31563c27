package restcore

import (
	"strconv"
)

// Kind is what a response body carries. It travels in the response head.
type Kind uint8

// Body kinds.
const (
	// KindBytes is an ordinary body: bytes, streamed in chunks.
	KindBytes Kind = 0
	// KindRecords is a stream of JSON records with demand-driven back-pressure (NewRecordWriter, NewRecordReader).
	KindRecords Kind = 1
	// KindMedia is a media byte stream; filled in by the media package. It travels like KindBytes.
	KindMedia Kind = 2
)

func (k Kind) String() string {
	switch k {
	case KindBytes:
		return "bytes"
	case KindRecords:
		return "records"
	case KindMedia:
		return "media"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// SetBodyKind marks the body of the response w writes as kind k. It must be called before the head is sent (the
// first Write or Flush); k is KindBytes or KindMedia (record streams start with NewRecordWriter). Over a
// ResponseWriter that is not this package's it does nothing and returns nil: the kind only exists on rest sockets.
func SetBodyKind(w ResponseWriter, k Kind) error { return setBodyKind(w, k) }

// BodyKind returns the kind of body of a response this package's Transport received, and KindBytes for any other
// response.
func BodyKind(resp *Response) Kind { return bodyKind(resp) }
