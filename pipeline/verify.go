package pipeline

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/splitdata/splitdata/sources"
)

// ErrVerify reports an output directory that does not match its manifest.
var ErrVerify = errors.New("output does not match its manifest")

// VerifyReport is what [Verify] checked.
type VerifyReport struct {
	Files    int      `json:"files"`    // files re-hashed
	Bytes    int64    `json:"bytes"`    // bytes re-hashed
	Rows     int64    `json:"rows"`     // rows counted in the files' footers
	Problems []string `json:"problems"` // every difference found, one line each
	// RowsChecked reports that the inputs were read again and every row
	// was found where the specification puts it.
	RowsChecked bool `json:"rows_checked"`
}

// Verify checks an output directory against its manifest: every listed file
// exists with the recorded size, SHA-256 and row count (from its Parquet
// footer); each split's rows add up; the splits plus the unassigned rows
// add up to the input rows; no unlisted file sits in a split directory.
// Differences are collected, not stopped at: when there are any, the report
// lists them and the error wraps [ErrVerify]. Other errors (no manifest,
// cancellation) are returned as they are.
func Verify(ctx context.Context, dir string) (*VerifyReport, error) {
	return VerifyWithInputs(ctx, dir, nil)
}

// VerifyWithInputs is [Verify] plus, when inputs is not empty, a check of
// the assignment itself: the inputs (as given to the split) are read again,
// every row's split is recomputed from the manifest's seed and options, and
// each split must hold exactly its rows, in input order (for a --shuffle
// output: the same rows; their order is not rechecked). Inputs that differ
// from the manifest's in number, rows or size are reported as differences.
func VerifyWithInputs(ctx context.Context, dir string, inputs []string) (*VerifyReport, error) {
	return VerifyWithConfig(ctx, VerifyConfig{Dir: dir, Inputs: inputs})
}

// VerifyConfig describes a verification: see [VerifyWithInputs].
type VerifyConfig struct {
	// Dir is the output directory, holding manifest.json.
	Dir string `json:"dir"`
	// FS, if not nil, holds the output's files in place of the local
	// directory Dir, which then only names it in messages: a bucket
	// prefix, say. Its files must implement io.ReaderAt.
	FS fs.FS `json:"-"`
	// Inputs, when not empty, are the split's inputs, to check every
	// row's placement.
	Inputs []string `json:"inputs,omitempty"`
	// Sources are inputs given as values (see [Input]), after those of
	// Inputs, in order, as the job was given them.
	Sources []Input `json:"-"`
	// MemoryLimit is the memory budget in bytes (0: DefaultMemoryLimit):
	// with Inputs, a stratified or --ratio-by rows output keeps its
	// per-row state in memory up to half of its heap budget (the budget
	// less its reserve, see [MemoryReserve]), beyond in a temporary file.
	MemoryLimit int64 `json:"memory_limit,omitempty"`
	// Progress, if not nil, receives the phases hash and, with Inputs,
	// rows.
	Progress Progress `json:"-"`
}

// VerifyWithConfig is [VerifyWithInputs] under cfg's budget, reporting to
// cfg.Progress.
func VerifyWithConfig(ctx context.Context, cfg VerifyConfig) (*VerifyReport, error) {
	if cfg.MemoryLimit < 0 {
		return nil, fmt.Errorf("%w: memory limit must be positive, got %d", ErrUsage, cfg.MemoryLimit)
	}
	progress := cfg.Progress
	if progress == nil {
		progress = noProgress{}
	}
	d := outputFiles{dir: cfg.Dir, fsys: cfg.FS}
	return verifyWith(ctx, d, cfg.Inputs, cfg.Sources, cmp.Or(cfg.MemoryLimit, DefaultMemoryLimit), progress)
}

func verifyWith(ctx context.Context, d outputFiles, inputs []string, more []Input, limit int64, progress Progress) (*VerifyReport, error) {
	dir := d.dir
	m, err := readManifestInside(d)
	if err != nil {
		return nil, err
	}
	progress.Phase(PhaseHash, listedRows(m))
	r := &VerifyReport{}
	problem := func(format string, args ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, args...)) }
	var inputRows int64
	for _, in := range m.Inputs {
		inputRows += in.Rows
	}
	if inputRows != m.Rows {
		problem("manifest: inputs hold %d rows, manifest says %d", inputRows, m.Rows)
	}
	total := m.Unassigned - m.Duplicates
	for _, s := range m.Splits {
		var rows int64
		listed := map[string]bool{}
		for _, f := range s.Files {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			listed[filepath.Base(f.Path)] = true
			rows += f.Rows
			if err := verifyFile(ctx, d, m.Options, f, r); err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				problem("%s: %v", f.Path, err)
			}
			progress.Add(f.Rows)
			addBytes(progress, f.Bytes)
		}
		if rows != s.Rows {
			problem("%s: files hold %d rows, manifest says %d", s.Name, rows, s.Rows)
		}
		total += s.Rows
		sub := s.Name
		if flatCommand(m.Command) {
			sub = ""
			listed[ManifestName] = true
			for _, e := range m.Extras {
				listed[e.Path] = true
			}
		}
		entries, err := d.readDir(sub)
		if err != nil {
			problem("%s: %v", s.Name, err)
			continue
		}
		for _, e := range entries {
			if !listed[e] {
				problem("%s: not in the manifest", path.Join(sub, e))
			}
		}
	}
	for _, e := range m.Extras {
		if err := verifyExtra(ctx, d, e, r); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			problem("%s: %v", e.Path, err)
		}
	}
	if total != m.Rows {
		problem("splits and unassigned rows (less duplicates) add up to %d, inputs hold %d", total, m.Rows)
	}
	if len(inputs)+len(more) > 0 && len(r.Problems) == 0 {
		progress.Phase(PhaseRows, 0)
		if err := verifyRows(ctx, d, m, inputs, more, limit, r); err != nil {
			return nil, err
		}
		if err := verifyGroups(ctx, d, m, limit, r); err != nil { // verify_groups.go
			return nil, err
		}
		progress.Add(m.Rows)
		r.RowsChecked = len(r.Problems) == 0
	}
	if len(r.Problems) > 0 {
		slices.Sort(r.Problems)
		return r, fmt.Errorf("%w: %s:\n%s", ErrVerify, dir, strings.Join(r.Problems, "\n"))
	}
	return r, nil
}

// verifyFile re-hashes one file and reads its footer's row count. Only a
// regular file inside dir is opened ([openInside]), only once its size is
// the manifest's, and no more than that is read, checking ctx as it goes:
// a part replaced by a link to a device, a named pipe or a file elsewhere
// is a difference, never read.
func verifyFile(ctx context.Context, d outputFiles, opts ManifestOptions, f FileInfo, r *VerifyReport) error {
	fh, size, err := d.open(f.Path)
	if err != nil {
		return err
	}
	defer fh.Close()
	r.Files++
	if size != f.Bytes {
		return fmt.Errorf("%d bytes, manifest says %d", size, f.Bytes)
	}
	h := sha256.New()
	n, err := copyContext(ctx, h, io.LimitReader(fh, f.Bytes))
	r.Bytes += n
	if err != nil {
		return err
	}
	if n != f.Bytes {
		return fmt.Errorf("%d bytes, manifest says %d", n, f.Bytes)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != f.SHA256 {
		return fmt.Errorf("sha256 %s, manifest says %s", sum, f.SHA256)
	}
	in, closeIn, err := d.openSource(opts, f.Path)
	if err != nil {
		return err
	}
	defer closeIn()
	r.Rows += in.NumRows()
	if in.NumRows() != f.Rows {
		return fmt.Errorf("file holds %d rows, manifest says %d", in.NumRows(), f.Rows)
	}
	return nil
}

// verifyExtra re-hashes a file beside the splits (a report, a card) as
// verifyFile does, without reading rows.
func verifyExtra(ctx context.Context, d outputFiles, e ExtraFile, r *VerifyReport) error {
	fh, size, err := d.open(e.Path)
	if err != nil {
		return err
	}
	defer fh.Close()
	r.Files++
	if size != e.Bytes {
		return fmt.Errorf("%d bytes, manifest says %d", size, e.Bytes)
	}
	h := sha256.New()
	n, err := copyContext(ctx, h, io.LimitReader(fh, e.Bytes))
	r.Bytes += n
	if err != nil {
		return err
	}
	if sum := hex.EncodeToString(h.Sum(nil)); n != e.Bytes || sum != e.SHA256 {
		return fmt.Errorf("sha256 %s, manifest says %s", sum, e.SHA256)
	}
	return nil
}

// copyContext copies src to dst like [io.Copy], checking ctx between
// blocks, so that hashing a large file stops at an interrupt.
func copyContext(ctx context.Context, dst io.Writer, src io.Reader) (int64, error) {
	buf := make([]byte, 1<<20)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		k, err := src.Read(buf)
		if k > 0 {
			if _, werr := dst.Write(buf[:k]); werr != nil {
				return n, werr
			}
			n += int64(k)
		}
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// maxManifestBytes bounds the manifest verify reads: 256 MiB is over a
// million part files.
const maxManifestBytes = 256 << 20

// readManifestInside is [ReadManifest] for an output that may have been
// tampered with: the manifest must be a regular file in dir (not a link to
// a device, not a named pipe) of at most maxManifestBytes.
func readManifestInside(d outputFiles) (*Manifest, error) {
	name := d.name(ManifestName)
	f, size, err := d.open(ManifestName)
	if err != nil {
		if nerr := notOutput(d.dir, d.fsys != nil, err); nerr != err {
			return nil, nerr
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer f.Close()
	if size > maxManifestBytes {
		return nil, fmt.Errorf("%s: %w: %d bytes, more than the %d MiB a manifest may have", name, ErrBadManifest, size, maxManifestBytes>>20)
	}
	b, err := io.ReadAll(io.LimitReader(f, size))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	m, err := ParseManifest(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return m, nil
}

// openInside opens the file rel (a manifest path: slash-separated, local)
// of the output directory root for reading, if it is a regular file inside
// root: neither it nor a directory on the way from root may be a symbolic
// link (which could lead anywhere: /dev/zero, a secret), and it may not be
// a named pipe (whose opening would wait for a writer) or a device. The
// file is checked before it is opened and opened without following a link
// or waiting; then what was opened is checked again. It returns the file
// and its information.
func openInside(root, rel string) (*os.File, os.FileInfo, error) {
	parts := strings.Split(rel, "/")
	cur := root
	for i, part := range parts[:len(parts)-1] {
		cur = filepath.Join(cur, part)
		st, err := os.Lstat(cur)
		if err != nil {
			return nil, nil, err
		}
		if !st.IsDir() {
			return nil, nil, fmt.Errorf("%s is not a directory inside the output (%s)", path.Join(parts[:i+1]...), sources.FileKind(st.Mode()))
		}
	}
	name := filepath.Join(cur, parts[len(parts)-1])
	st, err := os.Lstat(name)
	if err != nil {
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("not a regular file (%s)", sources.FileKind(st.Mode()))
	}
	f, err := os.OpenFile(name, os.O_RDONLY|openNoFollow|openNonblock, 0)
	if err != nil {
		return nil, nil, err
	}
	opened, err := f.Stat()
	switch {
	case err != nil:
		f.Close()
		return nil, nil, err
	case !opened.Mode().IsRegular():
		f.Close()
		return nil, nil, fmt.Errorf("not a regular file (%s)", sources.FileKind(opened.Mode()))
	case !os.SameFile(st, opened):
		f.Close()
		return nil, nil, fmt.Errorf("replaced while it was opened")
	}
	return f, opened, nil
}
