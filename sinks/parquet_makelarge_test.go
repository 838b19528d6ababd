package sinks

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

// makeLarge collects before a large allocation only when the memory the
// runtime holds and the allocation would exceed the soft memory limit.
//
// "past the limit" sets the limit at the memory held and allocates more
// than the runtime's scavenger may return meanwhile: a limit lowered near
// the memory held has the scavenger release memory toward 95% of it, so a
// margin of 4 MiB above the memory held, as the case first had, could be
// released before makeLarge looked (CI once saw it fail). The allocation
// is an eighth of the memory held, at least 16 MiB: more than the 5% the
// scavenger aims to release.
func TestMakeLargeCollectsNearTheLimit(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(old)
	pastLimit := max(16<<20, heldMemory()/8)
	for _, tc := range []struct {
		name    string
		n       int64
		limit   func() int64
		collect bool
	}{
		{"no limit", 8 << 20, func() int64 { return math.MaxInt64 }, false},
		{"room under the limit", 8 << 20, func() int64 { return heldMemory() + 64<<20 }, false},
		{"past the limit", pastLimit, func() int64 { return heldMemory() }, true},
		{"small allocation past the limit", 64 << 10, func() int64 { return heldMemory() }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetMemoryLimit(tc.limit())
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			b := makeLarge(tc.n)
			runtime.ReadMemStats(&after)
			debug.SetMemoryLimit(old)
			if int64(len(b)) != tc.n {
				t.Fatalf("makeLarge(%d) returned %d bytes", tc.n, len(b))
			}
			if got := after.NumForcedGC > before.NumForcedGC; got != tc.collect {
				t.Errorf("makeLarge(%d) collected: %v, want %v", tc.n, got, tc.collect)
			}
		})
	}
}
