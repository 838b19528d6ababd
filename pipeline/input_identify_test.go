package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestInputIdentifier checks that hashing the inputs on background and
// finishing goroutines records, for every input, what planInput alone
// gives, and that the error is the first missing input's.
func TestInputIdentifier(t *testing.T) {
	dir := t.TempDir()
	const n = 60
	infos := make([]InputInfo, n)
	for i := range infos {
		p := filepath.Join(dir, fmt.Sprintf("f%02d", i))
		data := make([]byte, i*(IdentityBytes/16)) // up to 3.7 MiB: whole and ends hashed
		for j := range data {
			data[j] = byte(i + j)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		infos[i] = InputInfo{Path: p, Size: int64(len(data)), Rows: int64(i)}
	}
	want := make([]InputInfo, n)
	for i, info := range infos {
		in, err := planInput(info)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = in.InputInfo
		want[i].ModTime, want[i].EndsSHA256 = in.ModTime, in.EndsSHA256
	}
	tests := []struct {
		name    string
		missing []int // inputs removed before hashing
	}{
		{name: "all there"},
		{name: "one missing", missing: []int{41}},
		{name: "first missing wins", missing: []int{50, 12, 33}},
	}
	for _, tt := range tests {
		for _, c := range []struct{ background, workers int }{{0, 0}, {1, 0}, {3, 0}, {0, 1}, {1, 1}, {3, 2}} {
			background, workers := c.background, c.workers
			t.Run(fmt.Sprintf("%s/background=%d/workers=%d", tt.name, background, workers), func(t *testing.T) {
				in := append([]InputInfo(nil), infos...)
				first := -1
				for _, i := range tt.missing {
					in[i].Path += ".gone"
					if first < 0 || i < first {
						first = i
					}
				}
				// Two more inputs that are not local files: passed through.
				extra := []InputInfo{{Path: "value", Size: 1, Rows: 1}, {Path: "other", Size: 2, Rows: 2}}
				id := startIdentify(append(in, extra...), n, nil, background, workers)
				got, err := id.finish()
				id.abandon() // after finish: nothing to do
				if first >= 0 {
					var pe *fs.PathError
					if !errors.As(err, &pe) || pe.Path != in[first].Path {
						t.Fatalf("error %v, want the one of %s", err, in[first].Path)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("input %d: %+v, want %+v", i, got[i], want[i])
					}
				}
				for i, e := range extra {
					if got[n+i] != e {
						t.Fatalf("source %d: %+v, want %+v", i, got[n+i], e)
					}
				}
			})
		}
	}
}

// TestInputIdentifierAbandon checks that abandoning an identifier waits
// for its background goroutines, which take no more inputs.
func TestInputIdentifierAbandon(t *testing.T) {
	dir := t.TempDir()
	infos := make([]InputInfo, 200)
	for i := range infos {
		p := filepath.Join(dir, fmt.Sprintf("f%03d", i))
		if err := os.WriteFile(p, []byte{byte(i)}, 0o644); err != nil {
			t.Fatal(err)
		}
		infos[i] = InputInfo{Path: p, Size: 1}
	}
	id := startIdentify(infos, len(infos), nil, 2, 0)
	id.abandon()
	taken := id.q.next.Load()
	id.wg.Wait()
	if id.q.next.Load() != taken {
		t.Fatalf("inputs taken after abandon returned")
	}
}

// TestInputWorkers checks how many goroutines work on the inputs: never
// more than the job's workers, nor than the inputs, and at least one.
func TestInputWorkers(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	tests := []struct {
		n, workers, want int
	}{
		{n: 500, workers: 1, want: 1},
		{n: 500, workers: 3, want: 3},
		{n: 2, workers: 8, want: 2},
		{n: 0, workers: 4, want: 1},
		{n: 500, workers: 0, want: procs},
		{n: 1, workers: 0, want: 1},
	}
	for _, tt := range tests {
		if got := inputWorkers(tt.n, tt.workers); got != tt.want {
			t.Errorf("inputWorkers(%d, %d) = %d, want %d", tt.n, tt.workers, got, tt.want)
		}
	}
	// An identifier of a --workers 1 job hashes on its one background
	// goroutine and never on the caller's as well.
	id := startIdentify(make([]InputInfo, 10), 10, nil, identifyBackground, 1)
	id.abandon()
	if id.workers != 1 || id.background != 1 {
		t.Errorf("workers 1: %d goroutines, %d in the background; want 1 and 1", id.workers, id.background)
	}
}
