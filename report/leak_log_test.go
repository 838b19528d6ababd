package report_test

import (
	"cmp"
	"errors"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/splitdata/splitdata/report"
)

// TestHashLog checks the rows a hash log marks as sharing their hash
// against a count of the hashes, in memory or spilled, found in one
// range of buckets or many, on one goroutine or several, splits
// renumbered or not; with hashes of every bucket, zeros, and one hash
// many rows share (a bucket larger than a range).
func TestHashLog(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	type seg struct {
		file  uint32
		split uint16
		first uint64
		hs    []uint64
	}
	var segs []seg
	count := map[uint64]int{}
	next := map[uint32]uint64{}
	var all []uint64
	for range 300 {
		file := uint32(r.IntN(9))
		s := seg{file: file, split: uint16(file % 3), first: next[file], hs: make([]uint64, r.IntN(700))}
		for i := range s.hs {
			h := r.Uint64()
			switch x := r.IntN(100); {
			case x < 8 && len(all) > 0:
				h = all[r.IntN(len(all))]
			case x < 9:
				h = 0
			case x < 12:
				h = 0xfeedface
			}
			s.hs[i] = h
			all = append(all, h)
			count[h]++
		}
		next[file] += uint64(len(s.hs))
		segs = append(segs, s)
	}
	// A bucket too large for a set of hashes: sorted instead.
	s := seg{file: 9, split: 1, hs: make([]uint64, 40000)}
	for i := range s.hs {
		s.hs[i] = 0xfeedface
		if i%2 == 0 {
			s.hs[i] += uint64(i) % 7
		}
		all = append(all, s.hs[i])
		count[s.hs[i]]++
	}
	segs = append(segs, s)
	remap := []uint16{2, 0, 1}
	want := func(remapped bool) []report.Candidate {
		var out []report.Candidate
		for _, s := range segs {
			for i, h := range s.hs {
				if count[h] > 1 {
					split := s.split
					if remapped {
						split = remap[split]
					}
					out = append(out, report.Candidate{File: int(s.file), Row: s.first + uint64(i), Split: split})
				}
			}
		}
		slices.SortFunc(out, func(a, b report.Candidate) int {
			return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Row, b.Row))
		})
		return out
	}
	for _, tc := range []struct {
		name          string
		hold, budget  int
		workers       int
		remap         bool
		spills, multi bool
	}{
		{name: "memory", hold: 1 << 20, budget: 1 << 20, workers: 1},
		{name: "memory, 3 workers", hold: 1 << 20, budget: 1 << 20, workers: 3, remap: true},
		{name: "spilled", hold: 1000, budget: 1 << 20, workers: 2, spills: true},
		{name: "spilled, ranges", hold: 5000, budget: 20000, workers: 1, spills: true, multi: true, remap: true},
		{name: "spilled, small ranges", hold: 1, budget: 1, workers: 4, spills: true, multi: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := report.NewHashLogForTest(tc.hold, tc.budget, t.TempDir())
			defer l.Close()
			for _, s := range segs {
				if err := l.Add(s.file, s.split, s.first, s.hs); err != nil {
					t.Fatal(err)
				}
			}
			if got := l.Spilled() > 0; got != tc.spills {
				t.Errorf("spilled %d hashes, want some: %v", l.Spilled(), tc.spills)
			}
			var remap []uint16
			if tc.remap {
				remap = []uint16{2, 0, 1}
			}
			got, err := l.Candidates(tc.workers, remap)
			if err != nil {
				t.Fatal(err)
			}
			if w := want(tc.remap); !slices.Equal(got, w) {
				t.Errorf("%d rows marked, want %d (of %d)", len(got), len(w), len(all))
			}
		})
	}
}

// TestHashLogDrop checks that a spilled log dropped after its search
// closes its file (on a goroutine of its own) and keeps no hashes, and
// that closing it after that is harmless.
func TestHashLogDrop(t *testing.T) {
	for _, spill := range []bool{false, true} {
		hold := 1 << 20
		if spill {
			hold = 1 << 10
		}
		l := report.NewHashLogForTest(hold, 1<<20, t.TempDir())
		hs := []uint64{1 << 60, 2 << 60, 1 << 60, 3}
		for i := range 1000 {
			if err := l.Add(0, 0, uint64(len(hs)*i), hs); err != nil {
				t.Fatal(err)
			}
		}
		if got := l.Spilled() > 0; got != spill {
			t.Fatalf("spilled %v, want %v", got, spill)
		}
		if _, err := l.Candidates(2, nil); err != nil {
			t.Fatal(err)
		}
		f := l.Drop()
		if (f != nil) != spill {
			t.Fatalf("file %v with spill %v", f, spill)
		}
		if f != nil {
			// Wait for the goroutine closing it (a generous bound, not
			// a timing check: only a file never closed reaches it).
			for deadline := time.Now().Add(time.Minute); ; {
				_, err := f.Stat()
				if errors.Is(err, os.ErrClosed) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if time.Now().After(deadline) {
					t.Fatal("the dropped log's file is still open")
				}
				runtime.Gosched()
			}
		}
		l.Close()
	}
}

// TestHashLogOnePart checks a log whose only shared hash is in one of
// its parts (the others mark nothing), with a row between the two
// copies, spilled or not, as the tags number the rows of each part.
func TestHashLogOnePart(t *testing.T) {
	for _, tc := range []struct {
		name string
		hold int
	}{
		{name: "memory", hold: 1 << 20},
		{name: "spilled", hold: 64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, 4))
			l := report.NewHashLogForTest(tc.hold, 1<<20, t.TempDir())
			defer l.Close()
			hs := make([]uint64, 5000)
			for i := range hs {
				hs[i] = r.Uint64()
			}
			hs[4000] = hs[123]
			hs[4001] = hs[123] ^ 1 // the same part, not the same hash
			for at := 0; at < len(hs); at += 700 {
				seg := hs[at:min(at+700, len(hs))]
				if err := l.Add(1, 0, uint64(at), seg); err != nil {
					t.Fatal(err)
				}
			}
			got, err := l.Candidates(2, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := []report.Candidate{{File: 1, Row: 123}, {File: 1, Row: 4000}}
			if !slices.Equal(got, want) {
				t.Errorf("marked %v, want %v", got, want)
			}
		})
	}
}
