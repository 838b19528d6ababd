package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
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
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
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
			if err := verifyFile(dir, m.Options, f, r); err != nil {
				problem("%s: %v", f.Path, err)
			}
		}
		if rows != s.Rows {
			problem("%s: files hold %d rows, manifest says %d", s.Name, rows, s.Rows)
		}
		total += s.Rows
		sub := s.Name
		if flatCommand(m.Command) {
			sub = ""
			listed[ManifestName] = true
		}
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			problem("%s: %v", s.Name, err)
			continue
		}
		for _, e := range entries {
			if !listed[e.Name()] {
				problem("%s: not in the manifest", path.Join(sub, e.Name()))
			}
		}
	}
	if total != m.Rows {
		problem("splits and unassigned rows (less duplicates) add up to %d, inputs hold %d", total, m.Rows)
	}
	if len(inputs) > 0 && len(r.Problems) == 0 {
		if err := verifyRows(ctx, dir, m, inputs, r); err != nil {
			return nil, err
		}
		r.RowsChecked = len(r.Problems) == 0
	}
	if len(r.Problems) > 0 {
		slices.Sort(r.Problems)
		return r, fmt.Errorf("%w: %s:\n%s", ErrVerify, dir, strings.Join(r.Problems, "\n"))
	}
	return r, nil
}

// verifyFile re-hashes one file and reads its footer's row count.
func verifyFile(dir string, opts ManifestOptions, f FileInfo, r *VerifyReport) error {
	path := filepath.Join(dir, filepath.FromSlash(f.Path))
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	h := sha256.New()
	n, err := io.Copy(h, fh)
	if err != nil {
		return err
	}
	r.Files++
	r.Bytes += n
	if n != f.Bytes {
		return fmt.Errorf("%d bytes, manifest says %d", n, f.Bytes)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != f.SHA256 {
		return fmt.Errorf("sha256 %s, manifest says %s", sum, f.SHA256)
	}
	in, err := opts.openOutput(path)
	if err != nil {
		return err
	}
	defer in.Close()
	r.Rows += in.NumRows()
	if in.NumRows() != f.Rows {
		return fmt.Errorf("file holds %d rows, manifest says %d", in.NumRows(), f.Rows)
	}
	return nil
}
