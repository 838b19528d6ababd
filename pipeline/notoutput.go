package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// ErrNotOutput reports a directory with no manifest.json: not an output
// of splitdata (split, kfold, sample, shuffle, merge), or one whose run
// has not finished. Errors wrapping it also wrap the error of opening the
// manifest ([fs.ErrNotExist], or ENOTDIR when the directory is a file).
var ErrNotOutput = errors.New("not a splitdata output")

// notOutputError is an [ErrNotOutput] with what was found instead of a
// manifest; it wraps the error of opening the manifest too.
type notOutputError struct {
	msg string
	err error
}

func (e *notOutputError) Error() string   { return e.msg }
func (e *notOutputError) Unwrap() []error { return []error{ErrNotOutput, e.err} }

// notOutput explains err, the error of opening the manifest of the output
// directory dir, when it says the manifest does not exist: one message
// naming dir, that it is not an output, and what is there instead (no
// directory, a file, a plan not merged yet). A local dir is looked at;
// bucket is true when dir only names a bucket prefix. Other errors are
// returned as they are.
func notOutput(dir string, bucket bool, err error) error {
	if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
		return err
	}
	what := "no " + ManifestName + " in it"
	if !bucket {
		st, serr := os.Stat(dir)
		switch {
		case errors.Is(serr, fs.ErrNotExist):
			what = "no such directory"
		case serr == nil && !st.IsDir():
			what = "a file, not a directory"
		case serr == nil:
			if _, perr := os.Stat(filepath.Join(dir, PlanName)); perr == nil {
				what = fmt.Sprintf("no %s, and its %s is a sharded plan not merged yet: run its shards, then splitdata merge %s", ManifestName, PlanName, dir)
			}
		}
	}
	return &notOutputError{msg: fmt.Sprintf("%s: %v: %s", dir, ErrNotOutput, what), err: err}
}
