// Package scratchtest checks that a [scratch.Dir] keeps what its files are
// given: the same tests for the local directory and for a bucket. It is
// imported by tests only.
package scratchtest

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/splitdata/splitdata/internal/scratch"
)

// Run checks dir: appended files of many small writes, files written by
// disjoint ranges from several goroutines with an unwritten gap, read back
// whole, from their start and at random ranges; names shared by files;
// Close twice. seed makes the bytes.
func Run(t *testing.T, dir scratch.Dir, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Run("append", func(t *testing.T) {
		for _, tt := range []struct {
			name   string
			o      scratch.Options
			writes []int
		}{
			{"unbuffered", scratch.Options{}, []int{1, 100, 0, 5000}},
			{"small buffer", scratch.Options{Buffer: 64, Files: 3}, []int{10, 63, 64, 65, 200, 1, 7000}},
			{"many files", scratch.Options{Buffer: 16 << 10, Files: 500}, []int{300 << 10, 12, 1 << 20}},
			{"empty", scratch.Options{Buffer: 1024}, nil},
		} {
			t.Run(tt.name, func(t *testing.T) {
				f, err := dir.Create("append", tt.o)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				var want []byte
				for _, n := range tt.writes {
					b := random(rng, n)
					if k, err := f.Write(b); err != nil || k != n {
						t.Fatalf("Write(%d bytes) = %d, %v", n, k, err)
					}
					want = append(want, b...)
				}
				if err := f.Flush(); err != nil {
					t.Fatal(err)
				}
				check(t, rng, f, want)
			})
		}
	})
	t.Run("ranges", func(t *testing.T) {
		f, err := dir.Create("ranges", scratch.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		const parts, size = 16, 37 << 10
		want := make([]byte, parts*size)
		if err := f.Truncate(int64(len(want))); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, parts)
		for p := range parts {
			if p == 5 {
				continue // a gap, read as zeros
			}
			b := random(rng, size)
			copy(want[p*size:], b)
			wg.Go(func() { _, errs[p] = f.WriteAt(b, int64(p*size)) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		check(t, rng, f, want)
		// Ranges written again: one exactly, one across two ranges and
		// the gap, one inside a range.
		for _, r := range [][2]int{{2 * size, size}, {4*size + 100, size + 50}, {9*size + 10, 20}, {4*size + 300, 10}} {
			b := random(rng, r[1])
			copy(want[r[0]:], b)
			if _, err := f.WriteAt(b, int64(r[0])); err != nil {
				t.Fatal(err)
			}
		}
		check(t, rng, f, want)
	})
	t.Run("same names", func(t *testing.T) {
		var files []scratch.File
		for i := range 3 {
			f, err := dir.Create("same", scratch.Options{Buffer: 8})
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := fmt.Fprintf(f, "file %d", i); err != nil {
				t.Fatal(err)
			}
			if err := f.Flush(); err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
		for i, f := range files {
			check(t, rng, f, fmt.Appendf(nil, "file %d", i))
			if err := f.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if err := f.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
		}
	})
}

// check reads f back whole, from its start and at random ranges, and
// compares with want.
func check(t *testing.T, rng *rand.Rand, f scratch.File, want []byte) {
	t.Helper()
	if f.Size() != int64(len(want)) {
		t.Fatalf("%s: Size %d, wrote %d", f.Name(), f.Size(), len(want))
	}
	got, err := scratch.ReadAll(f)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s: ReadAll: %d bytes, %v; differs from the %d written", f.Name(), len(got), err, len(want))
	}
	got, err = io.ReadAll(scratch.NewReader(f, 100))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s: NewReader: %d bytes, %v; differs from the %d written", f.Name(), len(got), err, len(want))
	}
	for range 50 {
		if len(want) == 0 {
			break
		}
		off := rng.IntN(len(want))
		n := rng.IntN(len(want)-off) + 1
		b := make([]byte, n)
		if k, err := f.ReadAt(b, int64(off)); k != n || (err != nil && err != io.EOF) || !bytes.Equal(b, want[off:off+n]) {
			t.Fatalf("%s: ReadAt(%d bytes at %d) = %d, %v, or other bytes", f.Name(), n, off, k, err)
		}
	}
	b := make([]byte, 10)
	if k, err := f.ReadAt(b, int64(len(want))+5); k != 0 || err != io.EOF {
		t.Errorf("%s: ReadAt past the end = %d, %v; want 0, EOF", f.Name(), k, err)
	}
	if len(want) > 0 {
		if k, err := f.ReadAt(b, int64(len(want))-1); k != 1 || err != io.EOF {
			t.Errorf("%s: ReadAt across the end = %d, %v; want 1, EOF", f.Name(), k, err)
		}
	}
}

func random(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}
