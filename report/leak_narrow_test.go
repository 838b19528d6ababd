package report_test

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/splitdata/splitdata/report"
)

// narrowRecords makes n row records of 8-byte hashes (the rest zero),
// about a tenth of them sharing their hash with an earlier one, over 7
// files of which file f is in split f%3, some rows near 2^40.
func narrowRecords(n int) []report.Record {
	r := rand.New(rand.NewPCG(3, 4))
	recs := make([]report.Record, n)
	for i := range recs {
		var h [16]byte
		binary.BigEndian.PutUint64(h[:8], r.Uint64())
		if i > 0 && r.IntN(10) == 0 {
			h = recs[r.IntN(i)].Hash()
		}
		file := uint32(r.IntN(7))
		row := uint64(i)
		if i%1000 == 0 {
			row = 1<<40 - 1 - uint64(i)
		}
		recs[i] = report.NewRecord(h, report.KindRowRecord, uint16(file%3), file, row)
	}
	return recs
}

// TestLeakFinderNarrow checks that a finder spilling row records in the
// narrow form finds the runs, with their records whole, of one keeping
// them wide, in memory or spilled, splits renumbered or not; and that it
// refuses records the narrow form cannot hold.
func TestLeakFinderNarrow(t *testing.T) {
	const n = 60_000
	recs := narrowRecords(n)
	runs := func(t *testing.T, narrow bool, budget, hold int64, remap []uint16) [][]report.Record {
		t.Helper()
		l, err := report.NewLeakFinderForTest(n, budget, hold, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		l.SetNarrow(narrow)
		l.SetRemap(remap)
		for c := range slices.Chunk(recs, 1000) {
			if err := l.Add(c...); err != nil {
				t.Fatal(err)
			}
		}
		out, err := l.RunRecords()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	tests := []struct {
		name   string
		budget int64
		hold   int64
		remap  []uint16
	}{
		{"in memory", 1 << 30, 1 << 30, nil},
		{"one partition file", 1 << 30, 0, nil},
		{"spilled", 1 << 20, 0, nil},
		{"spilled, renumbered", 1 << 20, 0, []uint16{2, 0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := runs(t, false, tt.budget, tt.hold, tt.remap)
			if len(want) < n/20 {
				t.Fatalf("%d runs, too few for the test", len(want))
			}
			got := runs(t, true, tt.budget, tt.hold, tt.remap)
			if !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("%d runs, want %d, or other records", len(got), len(want))
			}
		})
	}

	var h [16]byte
	bad := []struct {
		name     string
		recs     []report.Record
		tooLarge bool
	}{
		{"group record", []report.Record{report.NewRecord(h, report.KindGroupRecord, 0, 0, 0)}, false},
		{"row past 2^40", []report.Record{report.NewRecord(h, report.KindRowRecord, 0, 0, 1<<40)}, true},
		{"file past 2^24", []report.Record{report.NewRecord(h, report.KindRowRecord, 0, 1<<24, 0)}, true},
		{"file in two splits", []report.Record{
			report.NewRecord(h, report.KindRowRecord, 0, 3, 0),
			report.NewRecord(h, report.KindRowRecord, 1, 3, 1),
		}, false},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			l, err := report.NewLeakFinderForTest(n, 1<<20, 0, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			l.SetNarrow(true)
			err = l.Add(tt.recs...)
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, report.ErrTooLarge); got != tt.tooLarge {
				t.Errorf("error %q: ErrTooLarge %v, want %v", err, got, tt.tooLarge)
			}
		})
	}
}
