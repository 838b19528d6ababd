package sources

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors name the classes of input problems callers branch on.
// Test for them with [errors.Is]; the detail lives in the wrapping [InputError].
var (
	// ErrCorrupt reports a file that is not valid in its format: a bad
	// footer, an unreadable page, fewer rows than the footer promises.
	ErrCorrupt = errors.New("corrupt input")
	// ErrSchemaMismatch reports input files whose schemas differ.
	ErrSchemaMismatch = errors.New("schema mismatch")
	// ErrUnsupported reports a valid file that uses a feature splitdata does
	// not support.
	ErrUnsupported = errors.New("unsupported input")
)

// InputError describes a problem with one input file and where in it the
// problem lies. Fields that are unknown are left at -1 (RowGroup), 0 (Line)
// or empty (Column, Unit).
type InputError struct {
	Path     string // the file, as named by the caller
	RowGroup int    // 0-based row group (record batch for Arrow), or -1 when not known
	Line     int64  // 1-based line of a text input (CSV, JSONL), or 0 when not known
	Column   string // dotted column path, or "" when not known
	Err      error  // what went wrong; wraps one of the sentinels
	// Unit names what RowGroup counts in the message: "" for a Parquet
	// row group, [UnitRecordBatch] for an Arrow input.
	Unit string
}

// UnitRecordBatch is the [InputError.Unit] of Arrow inputs.
const UnitRecordBatch = "record batch"

// Error formats the error as "path: row group N, column "c": message",
// "path: record batch N, ...: message" for Arrow inputs, or
// "path: line N, column "c": message" for text inputs.
func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	b.WriteString(": ")
	if e.RowGroup >= 0 || e.Line > 0 {
		if e.Line > 0 {
			fmt.Fprintf(&b, "line %d", e.Line)
		} else {
			unit := e.Unit
			if unit == "" {
				unit = "row group"
			}
			fmt.Fprintf(&b, "%s %d", unit, e.RowGroup)
		}
		if e.Column != "" {
			b.WriteString(", ")
		} else {
			b.WriteString(": ")
		}
	}
	if e.Column != "" {
		// A footer may name a column with megabytes of path: one line
		// of error stays short.
		fmt.Fprintf(&b, "column %q: ", shortColumn(e.Column))
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the underlying error.
func (e *InputError) Unwrap() error { return e.Err }

// corrupt wraps err as a corruption of path, at row group rg (-1 if unknown).
func corrupt(path string, rg int, err error) error {
	kind := ErrCorrupt
	if strings.Contains(err.Error(), "unsupported compression codec") {
		kind = ErrUnsupported // a valid file in a codec the decoder lacks
	}
	return &InputError{Path: path, RowGroup: rg, Err: fmt.Errorf("%w: %w", kind, err)}
}
