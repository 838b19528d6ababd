package storage_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/splitdata/splitdata/storage"
)

// lockWrites selects the requests that write an output's lock object.
func lockWrites(req *http.Request) bool {
	if req.Method != http.MethodPut && req.Method != http.MethodPost {
		return false
	}
	return strings.HasSuffix(req.URL.Path, "/lock") || strings.HasSuffix(req.URL.Query().Get("name"), "/lock")
}

// TestLockLostAnswers makes the lock's conditional writes fail, a quarter
// of them after the store did the write (its answer lost): a retry then
// finds its condition failed by the run's own earlier attempt. The run
// still takes the lock (its first write is answered 503, the second one
// lost), keeps it through its refreshes and commits; before, it took its
// own lock for another run's, or for lost.
func TestLockLostAnswers(t *testing.T) {
	eachStore(t, func(t *testing.T, f fixture) {
		ctx := t.Context()
		la := &lostAnswers{next: http.DefaultTransport, only: lockWrites}
		s := f.open(t, storage.Options{HTTPClient: &http.Client{Transport: la},
			Retry: storage.Retry{Attempts: 10, Base: time.Millisecond, Max: 5 * time.Millisecond}})
		out, err := s.NewOutput(ctx, "out", storage.OutputOptions{LockTTL: time.Hour, LockRefresh: 5 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		writeOutput(t, ctx, out, commitOld)
		// Wait for refreshes enough to have lost answers among them
		// (the transport loses every fourth selected request's answer).
		for deadline := time.Now().Add(30 * time.Second); la.n.Load() < 12 && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		if err := out.Commit(ctx, []byte("old")); err != nil {
			t.Fatal(err)
		}
		if la.lost.Load() < 2 {
			t.Fatalf("%d lock writes, %d answers lost: the test tests nothing", la.n.Load(), la.lost.Load())
		}
		checkOutput(t, f.open(t, storage.Options{}), "out", commitOld, "old")
		t.Logf("%d lock writes, %d answers lost", la.n.Load(), la.lost.Load())
	})
}
