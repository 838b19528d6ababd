package pipeline

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeLocal is an output file whose Close is a sync: it takes a while,
// may fail, and counts the closes running at once.
type fakeLocal struct {
	fail    bool
	delay   time.Duration
	closed  *atomic.Int32
	running *atomic.Int32
	most    *atomic.Int32
}

func (f fakeLocal) Sync() error { return nil }

func (f fakeLocal) Close() error {
	n := f.running.Add(1)
	for {
		m := f.most.Load()
		if n <= m || f.most.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(f.delay)
	f.running.Add(-1)
	f.closed.Add(1)
	if f.fail {
		return errors.New("disk full")
	}
	return nil
}

// fakeRemote is an output file that is not local: closed at once.
type fakeRemote struct {
	fail   bool
	closed *atomic.Int32
}

func (f fakeRemote) Close() error {
	f.closed.Add(1)
	if f.fail {
		return errors.New("upload failed")
	}
	return nil
}

// TestFileClosers checks that finished files close behind the writer, at
// most closeBehindFiles at once, that wait returns once all closed, and
// that the error is the first failed file's in the order handed over,
// whichever closed first.
func TestFileClosers(t *testing.T) {
	tests := []struct {
		name   string
		files  int
		fail   []int // files whose Close fails
		remote []int // files that are not local
		want   int   // file whose error is reported, -1 for none
	}{
		{name: "none", files: 0, want: -1},
		{name: "all close", files: 20, want: -1},
		{name: "one fails", files: 20, fail: []int{7}, want: 7},
		{name: "the first of several", files: 20, fail: []int{15, 3, 9}, want: 3},
		{name: "remote closed at once", files: 10, remote: []int{0, 5}, want: -1},
		{name: "remote failure", files: 10, remote: []int{4}, fail: []int{4}, want: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var closed, running, most atomic.Int32
			failing := map[int]bool{}
			for _, i := range tt.fail {
				failing[i] = true
			}
			remote := map[int]bool{}
			for _, i := range tt.remote {
				remote[i] = true
			}
			c := newFileClosers()
			handed := 0
			var err error
			for i := range tt.files {
				rel := fmt.Sprintf("f%02d", i)
				if remote[i] {
					err = c.close(rel, fakeRemote{fail: failing[i], closed: &closed})
				} else {
					// Later files close sooner: errors arrive out of order.
					delay := time.Duration(tt.files-i) * time.Millisecond
					err = c.close(rel, fakeLocal{fail: failing[i], delay: delay, closed: &closed, running: &running, most: &most})
				}
				handed++
				if err != nil {
					break // as the writer stops
				}
			}
			if werr := c.wait(); werr != nil {
				err = werr
			}
			if got := closed.Load(); int(got) != handed {
				t.Errorf("%d of %d files closed after wait", got, handed)
			}
			if m := most.Load(); m > closeBehindFiles {
				t.Errorf("%d files closing at once, at most %d", m, closeBehindFiles)
			}
			if tt.want < 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("write f%02d:", tt.want)) {
				t.Fatalf("error %v, want the one of f%02d", err, tt.want)
			}
		})
	}
}
