package idb

import (
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	rand "github.com/smokenet/smoke/internal/random"
)

var keyState struct {
	mu   sync.Mutex
	ms   int64
	seq  uint32
	rand [5]byte
}

// Key returns a new record key: 28 lowercase hex digits, the milliseconds since the epoch (12), a sequence number
// within the millisecond (6) and 40 random bits (10), drawn once per millisecond. Keys made one after another in a
// process sort in the order they were made (strings compare as IndexedDB compares them), and the random part keeps
// keys made in two tabs or processes in the same millisecond apart.
func Key() string {
	s := &keyState
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now().UnixMilli()
	if now > s.ms {
		s.ms, s.seq = now, 0
		_, _ = rand.Read(s.rand[:])
	} else {
		s.seq++
		if s.seq >= 1<<24 { // 16M keys in one millisecond: borrow the next one
			s.ms, s.seq = s.ms+1, 0
			_, _ = rand.Read(s.rand[:])
		}
	}
	return fmt.Sprintf("%012x%06x%s", s.ms, s.seq, hex.EncodeToString(s.rand[:]))
}
