package sources_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/splitdata/splitdata/sources"
)

// TestSizesReadOnce checks that the size estimates come out the same
// whether read on demand or by ReadSizes first, in any order of the
// calls, and that once ReadSizes ran no estimate reads the file again.
func TestSizesReadOnce(t *testing.T) {
	data := dictFile(t, 3000, 1000, 50)
	type sizes struct{ total, rg, dict int64 }
	estimate := func(p *sources.Parquet, dictFirst bool) sizes {
		var s sizes
		if dictFirst {
			s.dict = p.RowGroupDictionaryBytes(0)
		}
		s.rg = p.RowGroupDecodedBytes(0)
		s.total = p.DecodedBytes()
		if !dictFirst {
			s.dict = p.RowGroupDictionaryBytes(0)
		}
		return s
	}
	fresh, err := sources.OpenParquet("dict", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	want := estimate(fresh, false)
	if want.rg <= 0 || want.dict <= 0 || want.total != want.rg {
		t.Fatalf("estimates %+v: want positive ones, the file's total that of its one row group", want)
	}
	for _, tt := range []struct {
		readFirst, dictFirst bool
	}{{false, false}, {false, true}, {true, false}, {true, true}} {
		t.Run(fmt.Sprintf("ReadSizes=%v/dictionaries first=%v", tt.readFirst, tt.dictFirst), func(t *testing.T) {
			r := &countingReader{r: bytes.NewReader(data)}
			p, err := sources.OpenParquet("dict", r, int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			if tt.readFirst {
				p.ReadSizes()
			}
			read := r.n
			if got := estimate(p, tt.dictFirst); got != want {
				t.Fatalf("estimates %+v, want %+v", got, want)
			}
			if tt.readFirst && r.n != read {
				t.Fatalf("the estimates read %d bytes after ReadSizes", r.n-read)
			}
			again := r.n
			if got := estimate(p, !tt.dictFirst); got != want || r.n != again {
				t.Fatalf("asked again: estimates %+v reading %d bytes, want %+v reading none", got, r.n-again, want)
			}
		})
	}
}
