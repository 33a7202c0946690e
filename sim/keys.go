package sim

import (
	"strconv"
	"sync"
	"sync/atomic"
)

// The keys "user-0", "user-1", … do not depend on the seed, so every
// generator in the process shares one table of them: a Monte Carlo sweep
// then makes each key string once, not once per rollout.
var (
	sharedKeys   atomic.Pointer[[]string]
	sharedKeysMu sync.Mutex
)

// maxSharedKeys bounds the shared table (about 32 bytes a key).
const maxSharedKeys = 1 << 21

// contextKey returns the key of context i.
func contextKey(i int) string {
	if p := sharedKeys.Load(); p != nil && i < len(*p) {
		return (*p)[i]
	}
	if i >= maxSharedKeys {
		return "user-" + strconv.Itoa(i)
	}
	sharedKeysMu.Lock()
	defer sharedKeysMu.Unlock()
	var old []string
	if p := sharedKeys.Load(); p != nil {
		old = *p
	}
	if i < len(old) {
		return old[i]
	}
	n := min(max(2*len(old), i+1, 4096), maxSharedKeys)
	keys := make([]string, n)
	copy(keys, old)
	for j := len(old); j < n; j++ {
		keys[j] = "user-" + strconv.Itoa(j)
	}
	sharedKeys.Store(&keys)
	return keys[i]
}
