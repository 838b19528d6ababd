package storage_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/splitdata/splitdata/internal/scratch"
	"github.com/splitdata/splitdata/internal/scratch/scratchtest"
	"github.com/splitdata/splitdata/storage"
)

// TestScratch runs the tests of every scratch.Dir on a bucket's, on each
// store, and checks that Remove leaves nothing under the prefix.
func TestScratch(t *testing.T) {
	eachStore(t, func(t *testing.T, f fixture) {
		s := f.open(t, storage.Options{})
		d, err := s.NewScratch(t.Context(), "tmp", storage.ScratchOptions{Memory: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(d.String(), "") || !strings.Contains(d.String(), "/tmp/splitdata-tmp-") {
			t.Errorf("scratch at %s, want under tmp/", d.String())
		}
		scratchtest.Run(t, d, 3)
		if err := d.Remove(t.Context()); err != nil {
			t.Fatal(err)
		}
		if left := keys(t, s, "tmp/"); len(left) != 0 {
			t.Errorf("left under the prefix: %q", left)
		}
	})
}

// TestScratchFaults: with requests failing (503s, dropped connections,
// bodies cut short), files still read back as written.
func TestScratchFaults(t *testing.T) {
	f := s3Fixture(t)
	fl := newFaults(11, nil)
	// Faults on the segments' requests and listings: the lock's writes
	// are not the subject here.
	fl.only = func(req *http.Request) bool {
		return !strings.HasSuffix(req.URL.Path, ".lock")
	}
	s := f.open(t, storage.Options{HTTPClient: &http.Client{Transport: fl},
		Retry: storage.Retry{Attempts: 10, Base: time.Millisecond, Max: 5 * time.Millisecond}})
	d, err := s.NewScratch(t.Context(), "tmp", storage.ScratchOptions{Memory: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	scratchtest.Run(t, d, 4)
	if err := d.Remove(t.Context()); err != nil {
		t.Fatal(err)
	}
	if fl.injected.Load() == 0 {
		t.Fatal("no fault injected: the test tests nothing")
	}
}

// TestScratchMemory: appended files hold one buffer of their segment size
// (Memory / Files) until Flush, never more than Memory together, and each
// full buffer is one segment object.
func TestScratchMemory(t *testing.T) {
	for _, tt := range []struct {
		name          string
		memory        int64
		files         int
		perFile       int
		wantSegment   int
		wantSegPerFil int
	}{
		{"8 files in 8 MiB", 8 << 20, 8, 3 << 20, 1 << 20, 3},
		{"4 files in 64 MiB", 64 << 20, 4, 20 << 20, storage.MaxSegment, 2},
		{"1000 files in 1 MiB", 1 << 20, 1000, 100 << 10, storage.MinSegment, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := s3Fixture(t)
			s := f.open(t, storage.Options{})
			d, err := s.NewScratch(t.Context(), "tmp", storage.ScratchOptions{Memory: tt.memory})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Remove(t.Context())
			o := scratch.Options{Buffer: 32 << 10, Files: tt.files}
			if got := d.SegmentSize(o); got != tt.wantSegment {
				t.Fatalf("segment size %d, want %d", got, tt.wantSegment)
			}
			n := min(tt.files, 8)
			var files []scratch.File
			for range n {
				file, err := d.Create("m", o)
				if err != nil {
					t.Fatal(err)
				}
				defer file.Close()
				files = append(files, file)
			}
			chunk := make([]byte, 64<<10)
			for done := 0; done < tt.perFile; done += len(chunk) {
				for _, file := range files {
					if _, err := file.Write(chunk[:min(len(chunk), tt.perFile-done)]); err != nil {
						t.Fatal(err)
					}
				}
			}
			for _, file := range files {
				if err := file.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			if want := int64(n * tt.wantSegment); d.Peak() != want {
				t.Errorf("write buffers peaked at %d bytes, want %d (%d files of %d)", d.Peak(), want, n, tt.wantSegment)
			}
			if d.Peak() > max(tt.memory, int64(tt.files)*storage.MinSegment) {
				t.Errorf("write buffers peaked at %d bytes, over the bound", d.Peak())
			}
			if d.Held() != 0 {
				t.Errorf("%d bytes of buffers held after Flush", d.Held())
			}
			segs := 0
			for _, k := range keys(t, s, "tmp/") {
				if !strings.HasSuffix(k, ".lock") {
					segs++
				}
			}
			if want := n * tt.wantSegPerFil; segs != want {
				t.Errorf("%d segment objects, want %d", segs, want)
			}
		})
	}
}

// TestScratchKilled: a killed run's temporary files stay while its lock
// is fresh, and are removed, with its lock, by the next run once the lock
// is dead, or by CleanScratch; a live run's are never touched.
func TestScratchKilled(t *testing.T) {
	eachStore(t, func(t *testing.T, f fixture) {
		ctx := t.Context()
		s := f.open(t, storage.Options{})
		write := func(d *storage.Scratch) {
			file, err := d.Create("rows", scratch.Options{Buffer: 1 << 10})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := file.Write(make([]byte, 100<<10)); err != nil {
				t.Fatal(err)
			}
			if err := file.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		killed, err := s.NewScratch(ctx, "tmp", storage.ScratchOptions{LockTTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		write(killed)
		storage.KillScratch(killed)
		before := keys(t, s, "tmp/")
		if len(before) < 2 {
			t.Fatalf("the killed run left %q, want a lock and segments", before)
		}

		// A fresh lock: the next run leaves the killed run's files.
		live, err := s.NewScratch(ctx, "tmp", storage.ScratchOptions{LockTTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		write(live)
		for _, k := range before {
			if !slices.Contains(keys(t, s, "tmp/"), k) {
				t.Fatalf("a run removed %s of a run whose lock is fresh", k)
			}
		}
		if err := live.Remove(ctx); err != nil {
			t.Fatal(err)
		}

		// Once the lock is taken for dead, the next run removes them.
		var notices []string
		next, err := s.NewScratch(ctx, "tmp", storage.ScratchOptions{LockTTL: time.Nanosecond,
			Notice: func(m string) { notices = append(notices, m) }})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys(t, s, "tmp/") {
			if slices.Contains(before, k) {
				t.Errorf("the killed run's %s is left", k)
			}
		}
		if !slices.ContainsFunc(notices, func(m string) bool { return strings.Contains(m, "removed the temporary files of run") }) {
			t.Errorf("notices %q say nothing of the removal", notices)
		}
		write(next)
		storage.KillScratch(next)
		if err := s.CleanScratch(ctx, "tmp", storage.ScratchOptions{LockTTL: time.Nanosecond}); err != nil {
			t.Fatal(err)
		}
		if left := keys(t, s, "tmp/"); len(left) != 0 {
			t.Errorf("CleanScratch left %q", left)
		}
		// A live run's lock stops CleanScratch from touching its files.
		live, err = s.NewScratch(ctx, "tmp", storage.ScratchOptions{LockTTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		write(live)
		held := keys(t, s, "tmp/")
		if err := s.CleanScratch(ctx, "tmp", storage.ScratchOptions{LockTTL: time.Hour}); err != nil && !errors.Is(err, storage.ErrLocked) {
			t.Fatal(err)
		}
		if got := keys(t, s, "tmp/"); !slices.Equal(got, held) {
			t.Errorf("CleanScratch changed a live run's files: %q, was %q", got, held)
		}
		if err := live.Remove(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
