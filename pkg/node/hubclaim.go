package node

import (
	"reflect"
	"sync"

	"github.com/smokenet/smoke/pkg/hub"
)

// Hubs in use by a node (ErrHubInUse). Keyed by the hub value itself, which for every hub of this module is a
// pointer; a custom hub of a type that cannot be a map key is not tracked.
var (
	hubsMu sync.Mutex
	hubs   = map[hub.Hub]struct{}{}
)

// claimHub marks h as carrying a node and reports whether it was free.
func claimHub(h hub.Hub) bool {
	if !reflect.TypeOf(h).Comparable() {
		return true
	}
	hubsMu.Lock()
	defer hubsMu.Unlock()
	if _, taken := hubs[h]; taken {
		return false
	}
	hubs[h] = struct{}{}
	return true
}

func releaseHub(h hub.Hub) {
	if !reflect.TypeOf(h).Comparable() {
		return
	}
	hubsMu.Lock()
	delete(hubs, h)
	hubsMu.Unlock()
}
