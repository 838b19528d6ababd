package pipeline

import (
	"testing"

	"github.com/splitdata/splitdata/internal/scratch"
)

// The write buffers of a job's TempStore (a bucket --temp-dir) come out of
// the default shuffle memory, so that the shuffle and the per-row state it
// bounds, with the buffers that carry what they spill, stay within half
// the heap budget; a job without one keeps the whole half. A given
// ShuffleMemory is kept as it is.
func TestShuffleShareLeavesTempStoreBuffers(t *testing.T) {
	store := scratch.Local(t.TempDir())
	for _, memory := range []int64{64 << 20, 128 << 20, DefaultMemoryLimit, 1 << 30, 16 << 30} {
		half := heapBudget(memory) / 2
		plain := SplitConfig{JobOptions: JobOptions{MemoryLimit: memory}}.withDefaults()
		if plain.ShuffleMemory != half {
			t.Errorf("%d MiB without a TempStore: ShuffleMemory %d, want %d", memory>>20, plain.ShuffleMemory, half)
		}
		bucket := SplitConfig{JobOptions: JobOptions{MemoryLimit: memory, TempStore: store}}.withDefaults()
		if got := bucket.ShuffleMemory + TempStoreMemory(memory); got > half || bucket.ShuffleMemory <= 0 {
			t.Errorf("%d MiB with a TempStore: ShuffleMemory %d + buffers %d = %d, want at most %d",
				memory>>20, bucket.ShuffleMemory, TempStoreMemory(memory), got, half)
		}
		given := SplitConfig{JobOptions: JobOptions{MemoryLimit: memory, ShuffleMemory: 5 << 20, TempStore: store}}.withDefaults()
		if given.ShuffleMemory != 5<<20 {
			t.Errorf("%d MiB: a given ShuffleMemory became %d", memory>>20, given.ShuffleMemory)
		}
	}
	if TempStoreMemory(0) != DefaultMemoryLimit/16 {
		t.Errorf("TempStoreMemory(0) = %d, want the default budget's sixteenth", TempStoreMemory(0))
	}
}
