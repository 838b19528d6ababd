// Package staging writes an output directory as splitdata publishes it:
// whole or not at all. Files are written to a hidden staging directory
// beside the output, which is renamed into place once complete; an
// existing output is exchanged with it atomically (Linux's renameat2) or
// set aside and removed once the new one is in place. A lock beside the
// output keeps two runs apart, and whoever takes it first puts right what
// an interrupted run left (recoverAside). Locked temporary directories
// (NewLockedDir) hold what a run spills to a shared --temp-dir.
package staging

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// An output directory DIR is written as a hidden staging directory beside
// it, .DIR.tmp-N, renamed into place once complete (manifest last). When
// DIR already exists (--overwrite, merge, a shard run again) the two are
// swapped:
//
//   - where the system can exchange two names atomically (Linux's
//     renameat2 RENAME_EXCHANGE), in one step: DIR then holds the new
//     output and .DIR.tmp-N the old one, which is removed;
//   - elsewhere in two: DIR is renamed aside to .DIR.old-N, the staging
//     directory renamed to DIR, then .DIR.old-N removed.
//
// A run killed at any point leaves the old output under DIR, or the new
// one, or (between the two renames) nothing under DIR and the old output
// in .DIR.old-N. The next run on DIR, holding its lock, first restores an
// aside directory when DIR is missing (and says so), removes one only when
// DIR holds a complete output, and removes staging directories, which
// never hold anything else than an unfinished or replaced output.

// asideInfix and stagingInfix name the directories beside an output DIR:
// .DIR.old-N holds an old output set aside, .DIR.tmp-N a staging directory.
// splitdata 0.2.0 named the aside directory .DIR.tmp-N.old (legacyAside).
const (
	asideInfix   = ".old-"
	stagingInfix = ".tmp-"
	legacyAside  = ".old"
)

// Rules are what the caller's outputs look like to this package.
type Rules struct {
	// Complete names the files one of which a finished output holds (the
	// files written last into an output), so that an output set aside may
	// be removed once one of them is under the output's name.
	Complete []string
	// Exists is wrapped by the error refusing an existing output.
	Exists error
	// Notice receives a note of what was done beyond the job, such as
	// restoring an output set aside: one line, without a final newline.
	// nil drops them.
	Notice func(msg string)
}

// Dir is an output directory under construction: a hidden temporary
// directory beside the final one, renamed into place by Commit. Until then
// nothing exists under the final name, so a failed or killed run leaves
// nothing that looks complete.
type Dir struct {
	rules     Rules
	name      string // final as the caller gave it, for messages
	final     string // resolved: symbolic links followed
	dir       string
	overwrite bool
	done      bool
}

// New checks that final may be written and creates the temporary
// directory beside it (same file system, so the final rename is atomic).
// The caller holds final's lock ([LockOutput]), which has already put right
// what an interrupted run left.
func New(final string, overwrite bool, rules Rules) (*Dir, error) {
	name := filepath.Clean(final)
	if err := CheckOutput(name, overwrite, rules.Exists); err != nil {
		return nil, err
	}
	real, err := ResolvePath(name)
	if err != nil {
		return nil, err
	}
	parent, base := filepath.Split(real)
	if err := os.MkdirAll(parent, 0o777); err != nil {
		return nil, fmt.Errorf("create parent of %s: %w", name, err)
	}
	removeStale(parent, base)
	// Made with the permissions the umask gives a new directory (MkdirTemp
	// would make it private), which the output keeps.
	dir, err := MkdirUnique(parent, "."+base+stagingInfix, 0o777)
	if err != nil {
		return nil, fmt.Errorf("create temporary directory for %s: %w", name, err)
	}
	return &Dir{rules: rules, name: name, final: real, dir: dir, overwrite: overwrite}, nil
}

// MkdirUnique creates a new directory named prefix followed by random
// digits in parent, with permissions perm less the umask.
func MkdirUnique(parent, prefix string, perm fs.FileMode) (string, error) {
	for range 1000 {
		dir := filepath.Join(parent, prefix+strconv.FormatUint(uint64(rand.Uint32()), 10))
		err := os.Mkdir(dir, perm)
		if !errors.Is(err, fs.ErrExist) {
			return dir, err
		}
	}
	return "", fmt.Errorf("no unused name %s* in %s", prefix, parent)
}

// CreateUnique creates a new file named prefix, random digits and suffix
// in dir, open for writing, with permissions perm less the umask (where
// [os.CreateTemp] makes it private).
func CreateUnique(dir, prefix, suffix string, perm fs.FileMode) (*os.File, error) {
	for range 1000 {
		name := filepath.Join(dir, prefix+strconv.FormatUint(uint64(rand.Uint32()), 10)+suffix)
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("no unused name %s*%s in %s", prefix, suffix, dir)
}

// ErrNoExchange reports that [Exchange] is not available.
var ErrNoExchange = errors.New("atomic exchange not supported")

// besideNames lists the entries of parent named "."+base+infix+N or
// "."+base+infix+N+tail, N a run of digits, sorted. It reads the directory
// rather than globbing, so that a parent whose name holds glob characters
// is no different, and the digits keep the names of another output's
// directories (that of an output named base+".tmp-x", say) out.
func besideNames(parent, base, infix, tail string) []string {
	entries, _ := os.ReadDir(parent)
	var out []string
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), "."+base+infix)
		if !ok {
			continue
		}
		if tail != "" {
			if rest, ok = strings.CutSuffix(rest, tail); !ok {
				continue
			}
		}
		if rest != "" && strings.Trim(rest, "0123456789") == "" {
			out = append(out, e.Name())
		}
	}
	slices.Sort(out)
	return out
}

// removeStale removes the staging directories of earlier runs on the same
// output that were killed before they could clean up. The caller holds the
// output's lock, so no live run owns them. An old output set aside by
// splitdata 0.2.0 (.DIR.tmp-N.old) is left to [recoverAside]. Failures are
// ignored: a leftover directory is clutter, not a danger.
func removeStale(parent, base string) {
	for _, name := range besideNames(parent, base, stagingInfix, "") {
		_ = os.RemoveAll(filepath.Join(parent, name))
	}
}

// AsideDirs lists the old outputs set aside beside final (resolved) by a
// replacement that did not finish: .DIR.old-N, and .DIR.tmp-N.old as
// splitdata 0.2.0 named them.
func AsideDirs(final string) []string {
	parent, base := filepath.Split(final)
	var out []string
	for _, name := range besideNames(parent, base, asideInfix, "") {
		out = append(out, filepath.Join(parent, name))
	}
	for _, name := range besideNames(parent, base, stagingInfix, legacyAside) {
		out = append(out, filepath.Join(parent, name))
	}
	return out
}

// recoverAside puts right what an interrupted replacement of the output
// final (resolved; name as the user gave it, for messages) left beside it.
// The caller holds final's lock. An old output set aside is
//   - restored when nothing, or an empty directory, is under final (the run
//     was killed between its two renames), with a note to rules.Notice;
//   - removed when final holds a complete output (the run was killed after
//     its new output took the old one's place);
//   - otherwise left alone, and the run refused: final holds something
//     splitdata did not finish, and which of the two to keep is the user's
//     call.
//
// It never removes an old output while final holds no complete one.
func recoverAside(final, name string, rules Rules) error {
	aside := AsideDirs(final)
	if len(aside) == 0 {
		return nil
	}
	shown := func(dir string) string { return filepath.Base(dir) }
	st, err := os.Lstat(final)
	switch {
	case err == nil && st.IsDir() && isComplete(final, rules.Complete):
		for _, dir := range aside {
			if err := os.RemoveAll(dir); err != nil {
				return fmt.Errorf("remove %s, an old output %s replaced: %w", dir, name, err)
			}
		}
		return nil
	case err == nil && st.IsDir():
		if empty, _ := IsEmptyDir(final); !empty {
			return fmt.Errorf("%s has no manifest and %s holds an earlier output set aside by an interrupted run: keep one of them (move the other away) and run again",
				name, shown(aside[0]))
		}
		if err := os.Remove(final); err != nil {
			return err
		}
	case err == nil:
		return fmt.Errorf("%s is not a directory and %s holds an earlier output set aside by an interrupted run: keep one of them (move the other away) and run again",
			name, shown(aside[0]))
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	if len(aside) > 1 {
		names := make([]string, len(aside))
		for i, dir := range aside {
			names[i] = shown(dir)
		}
		return fmt.Errorf("%s is missing and several earlier outputs were set aside by interrupted runs (%s): rename the one to keep to %s and run again",
			name, strings.Join(names, ", "), name)
	}
	if err := os.Rename(aside[0], final); err != nil {
		return fmt.Errorf("restore %s from %s: %w", name, aside[0], err)
	}
	if err := SyncDir(filepath.Dir(final)); err != nil {
		return err
	}
	if rules.Notice != nil {
		rules.Notice(fmt.Sprintf("restored %s from %s, set aside by an interrupted run", name, shown(aside[0])))
	}
	return nil
}

// isComplete reports whether dir holds a finished output: one of the files
// complete names, which are written last into an output (a manifest; a
// sharded job's plan; a shard's record).
func isComplete(dir string, complete []string) bool {
	for _, name := range complete {
		if st, err := os.Lstat(filepath.Join(dir, name)); err == nil && st.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// CheckOutput refuses an output directory with content unless overwrite is
// set, and any existing output that is not a directory, with an error
// wrapping exists.
func CheckOutput(final string, overwrite bool, exists error) error {
	st, err := os.Stat(final)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("%w: %s exists and is not a directory", exists, final)
	case overwrite:
		return nil
	}
	empty, err := IsEmptyDir(final)
	if err != nil {
		return err
	}
	if !empty {
		return fmt.Errorf("%w: %s already exists and is not empty", exists, final)
	}
	return nil
}

// IsEmptyDir reports whether dir has no entries.
func IsEmptyDir(dir string) (bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, err
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	return false, err
}

// Path returns the temporary location of rel, a slash-separated path
// relative to the output.
func (s *Dir) Path(rel string) string { return filepath.Join(s.dir, filepath.FromSlash(rel)) }

// TestHookCommit, when set by a test, is called at each step of a commit
// that a kill could interrupt ("exchanged", "aside", "replaced"); when it
// returns true the commit stops there as if the process had been killed
// (nothing more is done or cleaned up). Tests only.
var TestHookCommit func(step string) bool

// ErrKilled is what a commit stopped by TestHookCommit returns.
var ErrKilled = errors.New("simulated kill")

// killedAt reports whether a test simulates a kill at step; then the
// staging directory is left as a kill leaves it.
func (s *Dir) killedAt(step string) bool {
	if TestHookCommit != nil && TestHookCommit(step) {
		s.done = true
		return true
	}
	return false
}

// Commit moves the finished directory into place. An old output is
// swapped with it, or set aside and removed only after the new one is in
// place (see the comment at the top of this file).
func (s *Dir) Commit() error {
	if err := SyncDir(s.dir); err != nil {
		return err
	}
	if err := CheckOutput(s.name, s.overwrite, s.rules.Exists); err != nil {
		return err
	}
	st, err := os.Lstat(s.final)
	if err == nil && st.IsDir() {
		empty, err := IsEmptyDir(s.final)
		if err != nil {
			return err
		}
		if !empty {
			return s.replace()
		}
		if err := os.Remove(s.final); err != nil {
			return err
		}
	}
	if err := os.Rename(s.dir, s.final); err != nil {
		return fmt.Errorf("move output into place: %w", err)
	}
	s.done = true
	return SyncDir(filepath.Dir(s.final))
}

// UseExchange says whether a replacement tries the atomic exchange; a test
// turns it off to exercise the two renames.
var UseExchange = true

// replace puts the finished directory in the place of an existing output.
func (s *Dir) replace() error {
	parent := filepath.Dir(s.final)
	if UseExchange {
		switch err := Exchange(s.dir, s.final); {
		case err == nil:
			// s.dir now holds the old output.
			s.done = true
			if err := SyncDir(parent); err != nil {
				return err
			}
			if s.killedAt("exchanged") {
				return ErrKilled
			}
			if err := os.RemoveAll(s.dir); err != nil {
				return fmt.Errorf("remove replaced output %s: %w", s.dir, err)
			}
			return nil
		case !errors.Is(err, ErrNoExchange):
			return fmt.Errorf("move output into place: %w", err)
		}
	}
	old := filepath.Join(parent, "."+filepath.Base(s.final)+asideInfix+strings.TrimPrefix(filepath.Base(s.dir), "."+filepath.Base(s.final)+stagingInfix))
	if err := os.Rename(s.final, old); err != nil {
		return fmt.Errorf("move old output aside: %w", err)
	}
	if err := SyncDir(parent); err != nil {
		return err
	}
	if s.killedAt("aside") {
		return ErrKilled
	}
	if err := os.Rename(s.dir, s.final); err != nil {
		// Put the old output back; the new one stays in its temporary
		// directory and is removed by cleanup.
		if rerr := os.Rename(old, s.final); rerr != nil {
			return fmt.Errorf("move output into place: %w (the old output is in %s; the next run restores it)", err, old)
		}
		return fmt.Errorf("move output into place: %w", err)
	}
	s.done = true
	if err := SyncDir(parent); err != nil {
		return err
	}
	if s.killedAt("replaced") {
		return ErrKilled
	}
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("remove replaced output %s: %w", old, err)
	}
	return nil
}

// Cleanup removes the temporary directory unless it was committed.
func (s *Dir) Cleanup() {
	if !s.done {
		_ = os.RemoveAll(s.dir)
	}
}

// SyncDir flushes dir's entries to stable storage.
func SyncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
