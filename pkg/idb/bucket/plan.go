package bucket

import (
	"fmt"
	"slices"
	"strings"
)

// The layout of a file, platform-free: its content is a list of runs, each the chunks of one write (a replace
// makes one run, each append adds one). The chunks of a run are stored under "<write id>/<index, 8 hex digits>";
// every chunk of a run is full (ChunkSize, as the run records it) but its last.

// run is one write's chunks.
type run struct {
	id    string // the write's id
	count int    // chunks
	full  int64  // the size of each chunk but the last
	last  int64  // the size of the last chunk
}

func (r run) size() int64 {
	if r.count == 0 {
		return 0
	}
	return int64(r.count-1)*r.full + r.last
}

// chunkKey is the key of chunk i of the write id.
func chunkKey(id string, i int) string { return fmt.Sprintf("%s/%08x", id, i) }

// chunkRange is the key range [lo, hi) of every chunk of the write id ('0' follows '/').
func chunkRange(id string) (lo, hi string) { return id + "/", id + "0" }

// parts returns the parts of chunks that hold the bytes [start, end) of a file made of runs.
func parts(runs []run, start, end int64) []Part {
	var out []Part
	var at int64 // offset of the current chunk in the file
	for _, r := range runs {
		if at+r.size() <= start {
			at += r.size()
			continue
		}
		for i := 0; i < r.count && at < end; i++ {
			n := r.full
			if i == r.count-1 {
				n = r.last
			}
			if at+n > start {
				from, to := max(start-at, 0), min(end-at, n)
				if to > from {
					out = append(out, Part{Chunk: chunkKey(r.id, i), From: from, To: to})
				}
			}
			at += n
		}
		if at >= end {
			break
		}
	}
	return out
}

// group splits keys (sorted, all starting with prefix) into those listed as they are and the common prefixes up to
// the first delimiter after prefix, S3-like.
func group(keys []string, prefix, delimiter string) (files, prefixes []string) {
	files = []string{}
	prefixes = []string{}
	for _, k := range keys {
		if delimiter != "" {
			if i := strings.Index(k[len(prefix):], delimiter); i >= 0 {
				p := k[:len(prefix)+i+len(delimiter)]
				if len(prefixes) == 0 || prefixes[len(prefixes)-1] != p {
					prefixes = append(prefixes, p)
				}
				continue
			}
		}
		files = append(files, k)
	}
	slices.Sort(prefixes) // sorted already, as keys are; kept sure
	prefixes = slices.Compact(prefixes)
	return files, prefixes
}
