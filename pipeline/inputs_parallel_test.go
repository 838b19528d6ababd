package pipeline_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/sources"
)

// TestEachInput checks that eachInput calls every index below the first
// failure and returns that failure's error, whatever the workers.
func TestEachInput(t *testing.T) {
	tests := []struct {
		name string
		n    int
		fail []int // indexes whose call fails
		want int   // index whose error is returned, -1 for none
	}{
		{name: "none", n: 0, want: -1},
		{name: "all succeed", n: 100, want: -1},
		{name: "first fails", n: 50, fail: []int{0}, want: 0},
		{name: "last fails", n: 50, fail: []int{49}, want: 49},
		{name: "smallest of several", n: 200, fail: []int{170, 30, 90}, want: 30},
	}
	for _, tt := range tests {
		for _, workers := range []int{1, 2, 3, 8, 500} {
			t.Run(fmt.Sprintf("%s/workers=%d", tt.name, workers), func(t *testing.T) {
				errs := make([]error, tt.n)
				for _, i := range tt.fail {
					errs[i] = fmt.Errorf("input %d", i)
				}
				called := make([]atomic.Int32, tt.n)
				err := pipeline.EachInput(tt.n, workers, func(i int) error {
					called[i].Add(1)
					return errs[i]
				})
				if tt.want < 0 {
					if err != nil {
						t.Fatalf("error %v, want none", err)
					}
				} else if !errors.Is(err, errs[tt.want]) {
					t.Fatalf("error %v, want %v", err, errs[tt.want])
				}
				for i := range called {
					c := called[i].Load()
					if c > 1 || (c == 0 && (tt.want < 0 || i <= tt.want)) {
						t.Fatalf("index %d called %d times", i, c)
					}
				}
			})
		}
	}
}

// TestSplitManyInputsFirstErrorWins checks that, with the inputs opened
// on several goroutines, the error is still the one of the first bad
// input in path order: a damaged file or a file of another schema, among
// many good ones.
func TestSplitManyInputsFirstErrorWins(t *testing.T) {
	type ab struct{ A, B int64 }
	type other struct {
		A int64
		B string
	}
	tests := []struct {
		name        string
		damaged     int // index of a file of junk, -1 for none
		mismatch    int // index of a file of another schema, -1 for none
		wantDamaged bool
	}{
		{name: "damaged first", damaged: 7, mismatch: 31, wantDamaged: true},
		{name: "mismatch first", damaged: 31, mismatch: 7, wantDamaged: false},
		{name: "damaged last", damaged: 39, mismatch: -1, wantDamaged: true},
		{name: "mismatch last", damaged: -1, mismatch: 39, wantDamaged: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var bad string
			for i := range 40 {
				p := filepath.Join(dir, fmt.Sprintf("part-%03d.parquet", i))
				var err error
				switch i {
				case tt.damaged:
					err = os.WriteFile(p, []byte("PAR1 not a parquet file PAR1"), 0o644)
				case tt.mismatch:
					err = parquet.WriteFile(p, []other{{int64(i), "x"}})
				default:
					err = parquet.WriteFile(p, []ab{{int64(i), 1}})
				}
				if err != nil {
					t.Fatal(err)
				}
				if bad == "" && (i == tt.damaged || i == tt.mismatch) {
					bad = p
				}
			}
			_, err := pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{dir}, Out: filepath.Join(t.TempDir(), "o"), Seed: "1"})
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, sources.ErrSchemaMismatch); got == tt.wantDamaged {
				t.Fatalf("err = %v: schema mismatch %v, want %v", err, got, !tt.wantDamaged)
			}
			var ie *sources.InputError
			if !errors.As(err, &ie) || ie.Path != bad {
				t.Fatalf("err = %v, want an InputError of %s", err, bad)
			}
		})
	}
}
