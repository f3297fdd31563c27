package bucket

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestParts checks the chunk parts of byte ranges against a plain byte-by-byte evaluation, over files of several
// runs (a write and appends), every range of small files and random ranges of larger ones.
func TestParts(t *testing.T) {
	for _, runs := range [][]run{
		nil,
		{{id: "a", count: 1, full: 4, last: 3}},
		{{id: "a", count: 3, full: 4, last: 4}},
		{{id: "a", count: 2, full: 4, last: 1}, {id: "b", count: 1, full: 4, last: 4}, {id: "c", count: 3, full: 4, last: 2}},
		{{id: "a", count: 0, full: 4}, {id: "b", count: 2, full: 4, last: 3}},
	} {
		// owner[i] is the chunk and offset of byte i.
		type at struct {
			chunk string
			off   int64
		}
		var owner []at
		for _, r := range runs {
			for i := range r.count {
				n := r.full
				if i == r.count-1 {
					n = r.last
				}
				for o := range n {
					owner = append(owner, at{chunkKey(r.id, i), o})
				}
			}
		}
		size := int64(len(owner))
		for start := int64(0); start <= size; start++ {
			for end := start; end <= size; end++ {
				var got []at
				for _, p := range parts(runs, start, end) {
					if p.From >= p.To {
						t.Fatalf("runs %v [%d,%d): empty part %v", runs, start, end, p)
					}
					for o := p.From; o < p.To; o++ {
						got = append(got, at{p.Chunk, o})
					}
				}
				if want := owner[start:end]; !slices.Equal(got, want) {
					t.Fatalf("runs %v [%d,%d): got %v, want %v", runs, start, end, got, want)
				}
			}
		}
	}
	// A large file: ranges that cross chunk edges.
	r := []run{{id: "big", count: 1000, full: ChunkSize, last: 12345}}
	size := r[0].size()
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		start := rng.Int64N(size + 1)
		end := start + rng.Int64N(size-start+1)
		var n int64
		ps := parts(r, start, end)
		for i, p := range ps {
			n += p.To - p.From
			if i > 0 && p.From != 0 {
				t.Fatalf("[%d,%d): part %d starts at %d", start, end, i, p.From)
			}
		}
		if n != end-start {
			t.Fatalf("[%d,%d): parts cover %d bytes", start, end, n)
		}
	}
}

func TestGroup(t *testing.T) {
	keys := []string{"a", "docs/", "docs/a.txt", "docs/b/c.txt", "docs/b/d.txt", "docs/e/f/g", "docsx", "z/y"}
	for _, tc := range []struct {
		prefix, delim   string
		files, prefixes []string
	}{
		{"", "", keys, []string{}},
		{"", "/", []string{"a", "docsx"}, []string{"docs/", "z/"}},
		{"docs/", "/", []string{"docs/", "docs/a.txt"}, []string{"docs/b/", "docs/e/"}},
		{"docs/b", "/", []string{}, []string{"docs/b/"}},
		{"docs/", ".", []string{"docs/", "docs/e/f/g"}, []string{"docs/a.", "docs/b/c.", "docs/b/d."}},
	} {
		var in []string
		for _, k := range keys {
			if len(k) >= len(tc.prefix) && k[:len(tc.prefix)] == tc.prefix {
				in = append(in, k)
			}
		}
		files, prefixes := group(in, tc.prefix, tc.delim)
		if !slices.Equal(files, tc.files) || !slices.Equal(prefixes, tc.prefixes) {
			t.Errorf("group(%q, %q) = %v, %v; want %v, %v", tc.prefix, tc.delim, files, prefixes, tc.files, tc.prefixes)
		}
	}
}
