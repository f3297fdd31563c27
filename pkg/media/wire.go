package media

import (
	"encoding/json"
	"errors"
	"fmt"
)

// ContentType is the Content-Type of a media response.
const ContentType = "application/vnd.smoke.media+json"

// MaxTracks is the most tracks one media response may carry (pkg/node's MaxMediaTracks).
const MaxTracks = 16

// maxDescriptor bounds the descriptor line a client reads: a server cannot make it buffer more.
const maxDescriptor = 4 << 10

// ErrProtocol means a media response broke SPEC.md: its descriptor is not the JSON line it must be.
var ErrProtocol = errors.New("media: protocol violation")

// descriptor is the body of a media response (SPEC.md): the mids of the stream's transceivers and their kinds.
type descriptor struct {
	Mids  []string `json:"mids"`
	Kinds []string `json:"kinds"`
}

// encode returns the descriptor's line, newline included.
func (d descriptor) encode() []byte {
	b, _ := json.Marshal(d) // strings only: cannot fail
	return append(b, '\n')
}

// decodeDescriptor parses and checks one descriptor line (without its newline).
func decodeDescriptor(line []byte) (descriptor, error) {
	var d descriptor
	if err := json.Unmarshal(line, &d); err != nil {
		return d, fmt.Errorf("%w: the descriptor is not JSON: %v", ErrProtocol, err)
	}
	if len(d.Mids) == 0 || len(d.Mids) > MaxTracks || len(d.Kinds) != len(d.Mids) {
		return d, fmt.Errorf("%w: the descriptor names %d mids and %d kinds (want 1 to %d of each, as many kinds as mids)",
			ErrProtocol, len(d.Mids), len(d.Kinds), MaxTracks)
	}
	seen := make(map[string]bool, len(d.Mids))
	for i, mid := range d.Mids {
		if mid == "" || len(mid) > 32 || seen[mid] {
			return d, fmt.Errorf("%w: mid %q is empty, too long or repeated", ErrProtocol, mid)
		}
		seen[mid] = true
		if k := d.Kinds[i]; k != "audio" && k != "video" {
			return d, fmt.Errorf("%w: kind %q is neither audio nor video", ErrProtocol, k)
		}
	}
	return d, nil
}
