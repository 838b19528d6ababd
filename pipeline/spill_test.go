package pipeline

import (
	"errors"
	"testing"
)

func TestShufflePartitions(t *testing.T) {
	for _, tc := range []struct {
		bytes, memory int64
		splits, want  int
		tooLarge      bool
	}{
		{100, 1000, 2, 1, false},
		{500, 1000, 2, 1, false},
		{501, 1000, 2, 2, false},
		// Two partitions fit beside the free buffers' quarter: 750 bytes.
		{10_000, 1000, 1, 27, false},
		// Beyond half of memory, partitions of about partitionTarget bytes,
		// as far as the file limit allows (512 files: 256 ranges for one
		// split, 85 for three).
		{40 * partitionTarget, 50 * partitionTarget, 1, 40, false},
		{40*partitionTarget + 1, 50 * partitionTarget, 1, 41, false},
		{1000 * partitionTarget, 100 * partitionTarget, 1, 256, false},
		{1000 * partitionTarget, 100 * partitionTarget, 3, 85, false},
		// However large memory is, beyond inMemoryMax the rows spill.
		{inMemoryMax, 1 << 40, 1, 1, false},
		{inMemoryMax + 1, 1 << 40, 1, inMemoryMax/partitionTarget + 1, false},
		{100 * partitionTarget, 1 << 40, 2, 100, false},
		{1 << 40, 1 << 29, 2, 0, true}, // 1 TiB in 512 MiB would take 4096 ranges
	} {
		got, err := shufflePartitions(tc.bytes, tc.memory, tc.splits)
		if tc.tooLarge {
			if !errors.Is(err, ErrTooLarge) {
				t.Errorf("%+v: err = %v, want ErrTooLarge", tc, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%+v: got %d, %v", tc, got, err)
		}
	}
}
