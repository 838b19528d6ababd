package storage_test

import (
	"errors"
	"testing"

	"github.com/splitdata/splitdata/storage"
)

// TestCommitWithoutManifest checks that a Commit given no manifest
// publishes the files and writes no manifest.json, as the pipeline's
// Output contract says (plans and shards are committed so).
func TestCommitWithoutManifest(t *testing.T) {
	for _, mk := range []func(*testing.T) fixture{s3Fixture, gcsFixture} {
		f := mk(t)
		t.Run(f.name, func(t *testing.T) {
			s := f.open(t, storage.Options{})
			o, err := s.NewOutput(t.Context(), "job", storage.OutputOptions{})
			if err != nil {
				t.Fatal(err)
			}
			w, err := o.Create(t.Context(), "plan.json")
			if err != nil {
				t.Fatal(err)
			}
			w.Write([]byte(`{"plan":1}`))
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if err := o.Commit(t.Context(), nil); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Stat(t.Context(), "job/plan.json"); err != nil {
				t.Errorf("plan.json not published: %v", err)
			}
			if _, err := s.Stat(t.Context(), "job/manifest.json"); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("manifest.json: %v, want none", err)
			}
			if left, err := s.List(t.Context(), ".job.splitdata/"); err != nil || len(left) != 0 {
				t.Errorf("hidden area after commit: %v, %v", left, err)
			}
		})
	}
}
