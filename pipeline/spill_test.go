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

// TestKeyBins checks that a unit's key and index bins are cut from one
// buffer each, the list's when large enough, without overlapping, and
// that a bin appended past its count leaves its neighbours alone.
func TestKeyBins(t *testing.T) {
	small := keyBuffers{keys: make([]uint64, 3), index: make([]int64, 3)}
	large := keyBuffers{keys: make([]uint64, 64), index: make([]int64, 64)}
	for _, tc := range []struct {
		name   string
		free   *keyBuffers // in the list, if any
		counts []int
		reused bool
	}{
		{"no list", nil, []int{2, 0, 3}, false},
		{"too small", &small, []int{2, 0, 3}, false},
		{"large enough", &large, []int{2, 0, 3}, true},
		{"no rows", &large, []int{0, 0}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var list *keyLists
			if tc.free != nil {
				list = newFreeList(4, 0, keyBuffers.bytes)
				list.put(*tc.free)
			}
			binKeys := make([][]uint64, len(tc.counts))
			binIndex := make([][]int64, len(tc.counts))
			got := keyBins(list, binKeys, binIndex, tc.counts)
			if reused := tc.free != nil && len(got.keys) > 0 && &got.keys[0] == &tc.free.keys[0]; reused != tc.reused {
				t.Errorf("reused the list's buffers: %v, want %v", reused, tc.reused)
			}
			for bin, c := range tc.counts {
				if len(binKeys[bin]) != 0 || cap(binKeys[bin]) != c || cap(binIndex[bin]) != c {
					t.Errorf("bin %d: len %d, caps %d and %d, want 0, %d", bin, len(binKeys[bin]), cap(binKeys[bin]), cap(binIndex[bin]), c)
				}
			}
			// Fill every bin, the first one past its count.
			for bin, c := range tc.counts {
				n := c
				if bin == 0 && c > 0 {
					n++
				}
				for j := range n {
					binKeys[bin] = append(binKeys[bin], uint64(100*bin+j))
					binIndex[bin] = append(binIndex[bin], int64(100*bin+j))
				}
			}
			for bin, c := range tc.counts {
				for j := range c {
					if binKeys[bin][j] != uint64(100*bin+j) || binIndex[bin][j] != int64(100*bin+j) {
						t.Errorf("bin %d row %d: key %d, index %d, want %d", bin, j, binKeys[bin][j], binIndex[bin][j], 100*bin+j)
					}
				}
			}
		})
	}
}
