package sources

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
)

// Input format names, as --input-format takes them.
const (
	FormatParquet = "parquet"
	FormatArrow   = "arrow" // Arrow IPC, file or stream format
	FormatCSV     = "csv"
	FormatJSONL   = "jsonl" // JSON Lines: one flat object per line
)

// Formats returns the names of the input formats.
func Formats() []string { return []string{FormatParquet, FormatArrow, FormatCSV, FormatJSONL} }

// Options are the options of [Open].
type Options struct {
	// Format is the input format; empty means by file name extension
	// (see [FormatOf]).
	Format string
	// CSV holds the options of CSV inputs. A ".tsv" file with no
	// Delimiter set is read with tabs.
	CSV CSVOptions
	// JSONL holds the options of JSON Lines inputs.
	JSONL JSONLOptions
}

// formats maps file name extensions (lower case) to input formats.
var formats = map[string]string{
	".parquet": FormatParquet,
	".parq":    FormatParquet,
	".pq":      FormatParquet,
	".arrow":   FormatArrow,
	".arrows":  FormatArrow,
	".feather": FormatArrow,
	".ipc":     FormatArrow,
	".csv":     FormatCSV,
	".tsv":     FormatCSV,
	".jsonl":   FormatJSONL,
	".ndjson":  FormatJSONL,
}

// Extensions returns the file name extensions [FormatOf] recognises, sorted.
func Extensions() []string {
	var out []string
	for ext := range formats {
		out = append(out, ext)
	}
	slices.Sort(out)
	return out
}

// FormatOf returns the input format of a file by its name's extension.
func FormatOf(path string) (string, bool) {
	f, ok := formats[strings.ToLower(filepath.Ext(path))]
	return f, ok
}

// Open opens the input file at path in the format opts name or, without
// one, the format of its extension. The caller must Close it. When the
// file fails to open in that format and its bytes clearly belong to
// another, the error says so (a Parquet file named .csv).
func Open(path string, opts Options) (FileSource, error) {
	format, csvOpts, err := opts.formatOf(path)
	if err != nil {
		return nil, err
	}
	src, err := open(path, format, csvOpts, opts)
	if err != nil {
		return nil, withFileFormatHint(err, format, path)
	}
	return src, nil
}

// open is [Open] of path in format.
func open(path, format string, csvOpts CSVOptions, opts Options) (FileSource, error) {
	switch format {
	case FormatParquet:
		return fileSource(OpenParquetFile(path))
	case FormatArrow:
		return fileSource(OpenArrowFile(path))
	case FormatCSV:
		return fileSource(OpenCSVFile(path, csvOpts))
	case FormatJSONL:
		return fileSource(OpenJSONLFile(path, opts.JSONL))
	}
	return nil, fmt.Errorf("unknown input format %q", format)
}

// OpenReaderAt opens the size bytes of r as an input named name (its name
// in errors and manifests), in the format opts name or, without one, the
// format of name's extension, as [Open] opens a file. Every size read from
// the data is checked against size. The source reads r concurrently with
// ReadAt and never closes it; it cannot tell whether the data changed
// (CheckUnchanged returns nil), so the caller who can should check. The
// caller must Close the source. Errors are as [Open]'s.
func OpenReaderAt(name string, r io.ReaderAt, size int64, opts Options) (FileSource, error) {
	format, csvOpts, err := opts.formatOf(name)
	if err != nil {
		return nil, err
	}
	src, err := openReaderAt(name, r, size, format, csvOpts, opts)
	if err != nil {
		return nil, withFormatHint(err, format, r, size)
	}
	return src, nil
}

// openReaderAt is [OpenReaderAt] of r in format.
func openReaderAt(name string, r io.ReaderAt, size int64, format string, csvOpts CSVOptions, opts Options) (FileSource, error) {
	switch format {
	case FormatParquet:
		return fileSource(OpenParquet(name, r, size))
	case FormatArrow:
		return fileSource(OpenArrow(name, r, size))
	case FormatCSV:
		return fileSource(OpenCSV(name, r, size, csvOpts))
	case FormatJSONL:
		return fileSource(OpenJSONL(name, r, size, opts.JSONL))
	}
	return nil, fmt.Errorf("unknown input format %q", format)
}

// formatOf returns the format of the input named name, opts.Format or its
// extension's, and the CSV options to read it with: a ".tsv" file with no
// Delimiter set is read with tabs.
func (opts Options) formatOf(name string) (string, CSVOptions, error) {
	format := opts.Format
	if format == "" {
		f, ok := FormatOf(name)
		if !ok {
			return "", CSVOptions{}, &InputError{Path: name, RowGroup: -1,
				Err: fmt.Errorf("%w: unknown file extension %q (known: %s); name the format with --input-format", ErrUnsupported, filepath.Ext(name), strings.Join(Extensions(), ", "))}
		}
		format = f
	}
	csvOpts := opts.CSV
	if format == FormatCSV && csvOpts.Delimiter == 0 && strings.EqualFold(filepath.Ext(name), ".tsv") {
		csvOpts.Delimiter = '\t'
	}
	return format, csvOpts, nil
}

// fileSource returns an opened source as a FileSource, or nil (not a typed
// nil pointer) with the error.
func fileSource[S FileSource](s S, err error) (FileSource, error) {
	if err != nil {
		return nil, err
	}
	return s, nil
}
