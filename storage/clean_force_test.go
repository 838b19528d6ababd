package storage_test

import (
	"testing"
	"time"

	"github.com/splitdata/splitdata/storage"
)

// TestCleanForce: clean --force takes the lock with a LockTTL of a
// nanosecond; its refresh period used to be a quarter of that, zero, and
// the refreshing goroutine panicked in time.NewTicker.
func TestCleanForce(t *testing.T) {
	f := s3Fixture(t)
	s := f.open(t, storage.Options{})
	if err := s.Clean(t.Context(), "out", storage.OutputOptions{LockTTL: time.Nanosecond}); err != nil {
		t.Fatal(err)
	}
}
