package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/storage"
)

// A job with --report or --card and a bucket --out. The report and the
// card are computed from the output's files in a local directory (the
// report package reads them back when it could not see every row group as
// it was written, the card reads a file's schema), so such a job writes
// its output to a local temporary directory first, as it would for a
// local --out, and then uploads the committed files to the bucket output,
// which was locked (and checked) before the job started: every file, the
// report and the card through the bucket output's staging, then its
// commit writes the manifest last. The bytes are the local run's; the
// cost is local disk for the output, under --temp-dir or TMPDIR.

// stagedOutput is a job's output written to a local directory first.
type stagedOutput struct {
	local  *pipeline.LocalDir
	dir    string // where local commits
	bucket *storage.Output
	remove func()
}

// viaLocal makes the job write to a local temporary directory (under
// tempDir, or the system's when empty) that finish uploads to out.
func (l *locations) viaLocal(out *storage.Output, tempDir string) (pipeline.Output, error) {
	tmp, err := os.MkdirTemp(tempDir, "splitdata-out-")
	if err != nil {
		return nil, fmt.Errorf("temporary directory for the output's report: %w", err)
	}
	remove := func() { _ = os.RemoveAll(tmp) }
	dir := filepath.Join(tmp, "out")
	local, err := pipeline.OpenLocalDir(dir, false)
	if err != nil {
		remove()
		return nil, err
	}
	l.mu.Lock()
	l.staged = &stagedOutput{local: local, dir: dir, bucket: out, remove: remove}
	l.mu.Unlock()
	return local, nil
}

// finish uploads a job's output written to a local directory first (see
// viaLocal) to its bucket output and commits it, manifest last. A job
// that committed nothing (--if-exists skip found its output) uploads
// nothing: release then leaves the bucket output as it was.
func (l *locations) finish(ctx context.Context) error {
	l.mu.Lock()
	st := l.staged
	l.mu.Unlock()
	if st == nil {
		return nil
	}
	manifest, err := os.ReadFile(filepath.Join(st.dir, pipeline.ManifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	skip := func(rel string) bool { return rel == pipeline.ManifestName }
	return upload(ctx, st.bucket, st.dir, skip, manifest)
}
