package pipeline_test

import (
	"path/filepath"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
)

// A shuffling job that keeps per-row state through its main pass (the
// group key table of --group, --stratify's classes, --order-by's keys)
// holds both at once: their shares of ShuffleMemory must sum to at most
// it. Up to session 20 each was given all of it, twice the budget
// together. The shuffle keeps at least half, more where it needs more to
// run at all, and whatever ShuffleMemory lets a shuffle run, its share
// does too.
func TestRowStateShares(t *testing.T) {
	for _, tc := range []struct {
		limit, bytes         int64
		splits               int
		shuffles, keepsState bool
	}{
		{105 << 20, 1900 << 20, 2, true, true}, // 10M gen rows, default budget
		{56 << 20, 1900 << 20, 2, true, true},  // the same under --memory 128MiB
		{56 << 20, 10 << 20, 2, true, true},    // a shuffle held in memory
		{4 << 20, 300 << 20, 3, true, true},
		{1 << 20, 0, 1, true, true},
		{105 << 20, 1900 << 20, 2, false, true},
		{105 << 20, 1900 << 20, 2, true, false},
	} {
		state, shuffle := pipeline.RowStateShares(tc.limit, tc.bytes, tc.splits, tc.shuffles, tc.keepsState)
		if !tc.shuffles || !tc.keepsState {
			if state != tc.limit || shuffle != tc.limit {
				t.Errorf("%+v: shares %d and %d, want all of %d for the one that holds anything", tc, state, shuffle, tc.limit)
			}
			continue
		}
		if state < 0 || state+shuffle > tc.limit {
			t.Errorf("%+v: the state's %d and the shuffle's %d exceed ShuffleMemory %d together", tc, state, shuffle, tc.limit)
		}
		if shuffle < tc.limit-tc.limit/2 {
			t.Errorf("%+v: the shuffle gets %d, less than half of %d", tc, shuffle, tc.limit)
		}
		if _, err := pipeline.ShufflePartitions(tc.bytes, tc.limit, tc.splits); err == nil {
			if _, err := pipeline.ShufflePartitions(tc.bytes, shuffle, tc.splits); err != nil {
				t.Errorf("%+v: the shuffle runs under all of ShuffleMemory but not under its share %d: %v", tc, shuffle, err)
			}
		}
	}
}

// A --group --shuffle split gives its key table and its shuffle shares
// that fit ShuffleMemory together, and its outputs do not depend on
// them: the table in memory or in a file, the shuffle held or spilled.
func TestGroupShuffleShares(t *testing.T) {
	in := genInput(t, 6_000, 2, 700)
	splits := mustRatios(t, "train=0.8,test=0.2")
	var want string
	for _, memory := range []int64{64 << 10, 1 << 20, 64 << 20} {
		var state, shuffle int64
		restore := pipeline.OnShares(func(s, h int64) { state, shuffle = s, h })
		m := runSplit(t, pipeline.SplitConfig{Inputs: []string{in}, Out: filepath.Join(t.TempDir(), "out"), Seed: "5", Splits: splits, Group: "user_id", Shuffle: true,
			JobOptions: pipeline.JobOptions{Workers: 2, ShuffleMemory: memory}})
		restore()
		if shuffle == 0 || state+shuffle > memory {
			t.Errorf("ShuffleMemory %d: the key table's share %d and the shuffle's %d exceed it together", memory, state, shuffle)
		}
		got := fingerprint(m)
		if want == "" {
			want = got
		} else if got != want {
			t.Errorf("ShuffleMemory %d: outputs differ from those under 64 KiB:\n%s\nwant\n%s", memory, got, want)
		}
	}
}
