package pipeline_test

import (
	"testing"

	"github.com/splitdata/splitdata/pipeline"
)

// A budget keeps min(M/8, MemoryReserve) back for the process's baseline,
// and the refusals' "use --memory N" quote the least budget whose heap
// part holds what was asked: memoryFor inverts heapBudget.
func TestMemoryReserve(t *testing.T) {
	tests := []struct {
		name   string
		memory int64
		heap   int64
	}{
		{"none", 0, 0},
		{"one byte", 1, 1},
		{"small: an eighth", 64 << 20, 56 << 20},
		{"at the cap", 256 << 20, 224 << 20},
		{"default", pipeline.DefaultMemoryLimit, 210 << 20},
		{"large: the cap", 4 << 30, 4<<30 - pipeline.MemoryReserve},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := pipeline.HeapBudget(tc.memory); got != tc.heap {
				t.Fatalf("HeapBudget(%d) = %d, want %d", tc.memory, got, tc.heap)
			}
		})
	}
	for _, heap := range []int64{1, 7, 8, 1000, 1 << 20, 50<<20 + 3, 196 << 20, 7*pipeline.MemoryReserve - 1, 7 * pipeline.MemoryReserve, 1 << 30, 1<<40 + 5} {
		m := pipeline.MemoryFor(heap)
		if pipeline.HeapBudget(m) < heap {
			t.Errorf("MemoryFor(%d) = %d, whose heap budget %d is short", heap, m, pipeline.HeapBudget(m))
		}
		if m > 1 && pipeline.HeapBudget(m-1) >= heap {
			t.Errorf("MemoryFor(%d) = %d, but %d is enough", heap, m, m-1)
		}
	}
}
