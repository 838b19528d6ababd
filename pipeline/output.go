package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"sync"

	"github.com/splitdata/splitdata/internal/staging"
)

// Output receives a job's files. Nothing created is visible to readers
// until Commit. The engine only creates files and writes them in order; how
// they are published (a local directory's atomic rename, a bucket's
// manifest written last) is the Output's.
//
// Opening an output (locking it, refusing an existing one unless asked to
// replace it, putting right what an interrupted run left) is the job of
// each implementation's constructor, such as [OpenLocalDir].
type Output interface {
	// Create starts a new file at a slash-separated path relative to the
	// output root, e.g. "train/part-00000.parquet". The file is complete
	// once its Close returns nil.
	Create(ctx context.Context, name string) (io.WriteCloser, error)
	// Commit publishes every created file at once and writes manifest
	// (manifest.json) last; a nil manifest writes none.
	Commit(ctx context.Context, manifest []byte) error
	// Abort removes everything created so far and releases the output; it
	// is safe to call after a failed Commit, and after a successful one
	// it only releases the output.
	Abort(ctx context.Context) error
}

// ErrLocked reports an output directory another run is writing.
var ErrLocked = staging.ErrLocked

// Notice receives the notes the pipeline makes about what it did beyond
// the job asked of it, such as restoring an output set aside by an
// interrupted run: one line each, without a final newline. The default
// writes them to standard error, prefixed "splitdata: "; a program with
// its own log sets it before running jobs (it is not synchronised) or sets
// it to a function that drops them.
var Notice = func(msg string) { fmt.Fprintf(os.Stderr, "splitdata: %s\n", msg) }

// LocalDir is the [Output] of a directory on a local file system. Its
// files are written under a hidden staging directory beside it,
// .DIR.tmp-N, which Commit renames into place, exchanging it with an
// existing output where the system can (renameat2) or setting the old one
// aside (.DIR.old-N) until the new one is in place. A lock file beside it,
// .DIR.lock, keeps other runs out from OpenLocalDir to Abort.
type LocalDir struct {
	name      string
	overwrite bool
	lock      *staging.Lock

	mu    sync.Mutex
	stage *staging.Dir // made by the first file written
}

var _ Output = (*LocalDir)(nil)

// OpenLocalDir opens the directory dir as a job's output: it takes dir's
// lock (failing with [ErrLocked] if another run holds it), puts right what
// an interrupted run left beside it (restoring an output set aside, with
// a [Notice]; removing staging directories), and refuses an existing dir
// with content unless overwrite ([ErrOutputExists]). The caller calls
// Abort once done, committed or not.
func OpenLocalDir(dir string, overwrite bool) (*LocalDir, error) {
	lock, err := lockOutput(dir)
	if err != nil {
		return nil, err
	}
	if err := staging.CheckOutput(dir, overwrite, ErrOutputExists); err != nil {
		lock.Unlock()
		return nil, err
	}
	return &LocalDir{name: dir, overwrite: overwrite, lock: lock}, nil
}

// outputRules are the pipeline's outputs as the staging code sees them.
func outputRules() staging.Rules {
	return staging.Rules{
		Complete: []string{ManifestName, PlanName, shardDoneName},
		Exists:   ErrOutputExists,
		Notice:   func(msg string) { Notice(msg) },
	}
}

// shardDoneName is the record a finished shard writes last.
const shardDoneName = "done.json"

// lockOutput takes the lock of the output directory final without waiting
// ([staging.LockOutput]): it fails with an error wrapping [ErrLocked] if
// another run holds it, and puts right what an interrupted run left.
func lockOutput(final string) (*staging.Lock, error) {
	return staging.LockOutput(final, outputRules())
}

// staged returns the staging directory, made on first use (beside the
// output, so that the final rename stays on one file system).
func (d *LocalDir) staged() (*staging.Dir, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stage == nil {
		s, err := staging.New(d.name, d.overwrite, outputRules())
		if err != nil {
			return nil, err
		}
		d.stage = s
	}
	return d.stage, nil
}

// Create starts file name, made with the permissions 0644 less the umask
// (its directory 0755); its Close syncs it.
func (d *LocalDir) Create(_ context.Context, name string) (io.WriteCloser, error) {
	s, err := d.staged()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.Path(path.Dir(name)), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(s.Path(name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	return newOutputFile(f), nil
}

// syncedFile is a file that Close syncs before closing.
type syncedFile struct{ *os.File }

func (f syncedFile) Close() error {
	err := f.Sync()
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeFile writes data as file name of the output, with the permissions
// the umask gives a new file, and syncs it: a job's record (plan, shard
// record, manifest).
func (d *LocalDir) writeFile(name string, data []byte) error {
	s, err := d.staged()
	if err != nil {
		return err
	}
	f, err := os.OpenFile(s.Path(name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return syncedFile{f}.Close()
}

// Commit writes manifest as manifest.json, unless nil, and renames the
// staging directory into place (see [LocalDir]).
func (d *LocalDir) Commit(_ context.Context, manifest []byte) error {
	if manifest != nil {
		if err := d.writeFile(ManifestName, manifest); err != nil {
			return fmt.Errorf("write manifest: %w", err)
		}
	}
	s, err := d.staged()
	if err != nil {
		return err
	}
	return s.Commit()
}

// Abort removes the staging directory unless it was committed, then
// releases the lock.
func (d *LocalDir) Abort(context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stage != nil {
		d.stage.Cleanup()
	}
	d.lock.Unlock()
	return nil
}

// prepare makes out's staging directory now when out is a LocalDir; other
// outputs start at their first file.
func prepare(out Output) error {
	if d, ok := out.(*LocalDir); ok {
		_, err := d.staged()
		return err
	}
	return nil
}

// scratchDir returns a private directory for a job's temporary files
// inside the staging directory, which a later run on the output removes
// should this one be killed, and never commits (see newSpillDir).
func (d *LocalDir) scratchDir(name string) (string, error) {
	s, err := d.staged()
	if err != nil {
		return "", err
	}
	dir := s.Path(name)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", err
	}
	return dir, nil
}

// commitManifest commits out with m as its manifest.
func commitManifest(ctx context.Context, out Output, m *Manifest) error {
	manifest, err := jsonFile(m)
	if err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	return out.Commit(ctx, manifest)
}

// jsonFile is v as the pipeline writes its records: indented JSON and a
// final newline.
func jsonFile(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Flags and facts of the system that verify and the row tables use.
const (
	openNoFollow    = staging.OpenNoFollow
	openNonblock    = staging.OpenNonblock
	removeWhileOpen = staging.RemoveWhileOpen
)
