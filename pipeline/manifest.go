package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/splitdata/splitdata/sinks"
	"github.com/splitdata/splitdata/sources"
	"github.com/splitdata/splitdata/splitter"
)

// ManifestName is the file that marks a complete output directory. It is
// written last; a directory without it is not a splitdata output.
const ManifestName = "manifest.json"

// Manifest records what a run read and wrote, so that the run can be
// repeated and its outputs checked. Two runs with the same inputs and
// options give manifests that differ only in Created.
type Manifest struct {
	Tool      string    `json:"tool"`
	Version   string    `json:"version"`
	Algorithm int       `json:"algorithm"`
	Command   string    `json:"command"`
	Created   time.Time `json:"created"`
	// Seed is the master seed as a decimal integer; SeedText is the text it
	// was derived from when that text was not itself a decimal integer.
	Seed          string          `json:"seed"`
	SeedText      string          `json:"seed_text,omitempty"`
	SeedGenerated bool            `json:"seed_generated,omitempty"`
	Options       ManifestOptions `json:"options"`
	Inputs        []InputInfo     `json:"inputs"`
	Rows          int64           `json:"rows"`
	// Unassigned counts the rows in no split (only when --sizes asks for
	// fewer rows than the inputs hold).
	Unassigned int64 `json:"unassigned_rows"`
	// Duplicates counts the extra copies of a bootstrap sample (sample
	// --replace): its rows are the rows drawn plus these, so that
	// split rows + unassigned rows = input rows + duplicates.
	Duplicates int64       `json:"duplicate_rows,omitempty"`
	Splits     []SplitInfo `json:"splits"`
	// StratifiedGroups is the outcome of a stratified grouped split
	// (--stratify with --group): groups, classes, rows per split and class.
	StratifiedGroups *StratifiedGroupsInfo `json:"stratified_groups,omitempty"`
	// Extras are the files beside the splits that describe them
	// (ExtraNames: report.html, README.md), if any.
	Extras []ExtraFile `json:"extras,omitempty"`
	// Content counts the groups of a --group-by-content job.
	Content *ContentStats `json:"content,omitempty"`
}

// ExtraFile is a file of an output that holds no rows: its path relative
// to the output directory (one of [ExtraNames]), size and SHA-256.
type ExtraFile struct {
	Path   string `json:"path"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// ExtraNames are the files an output may hold beside its splits: the
// report of --report and the dataset card of --card.
var ExtraNames = []string{"report.html", "README.md"}

// ManifestOptions are the options that determine the output bytes.
type ManifestOptions struct {
	Splits  []splitter.Split `json:"splits"`
	Approx  bool             `json:"approx"`
	Group   string           `json:"group,omitempty"`
	Shuffle bool             `json:"shuffle"`
	// Materialize marks k-fold output as fold-j/train and fold-j/test.
	Materialize bool `json:"materialize,omitempty"`
	// Replace marks a bootstrap sample (sample --replace).
	Replace bool `json:"replace,omitempty"`
	// RatioBy is "rows" for a grouped split balanced by rows.
	RatioBy string `json:"ratio_by,omitempty"`
	// Stratify is the column whose classes split in proportion.
	Stratify string `json:"stratify,omitempty"`
	// OrderBy is the column (or "row") whose order cut the splits, and
	// Nulls where its nulls went; TimeSeries, for kfold --time-series,
	// the options of the folds (manifest_order.go).
	OrderBy    string                      `json:"order_by,omitempty"`
	Nulls      string                      `json:"nulls,omitempty"`
	TimeSeries *splitter.TimeSeriesOptions `json:"time_series,omitempty"`
	// Repeats is the number of repeats of kfold --repeats, whose outputs
	// are repeat-r/fold-j.
	Repeats int `json:"repeats,omitempty"`
	// Compat is the compatibility mode whose rows and order were written.
	Compat    splitter.CompatMode `json:"compat,omitempty"`
	Epoch     uint64              `json:"epoch,omitempty"`
	IndexOnly bool                `json:"index_only,omitempty"`
	// RowIndexColumn names the column of global row indices added to the
	// rows, if any.
	RowIndexColumn string `json:"row_index_column,omitempty"`
	RowsPerFile    int64  `json:"rows_per_file"`
	RowGroupRows   int64  `json:"row_group_rows"`
	// InputFormat is the format the inputs were read as; empty: by
	// extension.
	InputFormat string `json:"input_format,omitempty"`
	// InputCSV are the options CSV inputs were read with, if any differ
	// from the defaults: verifying against the inputs needs them.
	InputCSV *sources.CSVOptions `json:"input_csv,omitempty"`
	// InputJSONL are the options JSON Lines inputs were read with, if any
	// differ from the defaults.
	InputJSONL *sources.JSONLOptions `json:"input_jsonl,omitempty"`
	Format     string                `json:"format"`
	// Parquet are the Parquet output options (recorded whatever the
	// output format).
	Parquet sinks.ParquetOptions   `json:"parquet"`
	CSV     *sinks.CSVWriteOptions `json:"csv,omitempty"`
	Arrow   *sinks.ArrowOptions    `json:"arrow,omitempty"`
	// GroupByContent marks a split grouped by its rows' values, in
	// ContentColumns (all columns when empty).
	GroupByContent bool   `json:"group_by_content,omitempty"`
	ContentColumns string `json:"content_columns,omitempty"`
}

// InputInfo describes one input file.
type InputInfo struct {
	Path string `json:"path"`
	Size int64  `json:"size"`
	Rows int64  `json:"rows"`
	// ModTime and EndsSHA256 identify the file's contents as a plan's
	// inputs do ([PlanInput]), so that a rerun can tell an unchanged input
	// (--if-exists skip). Absent in manifests of splitdata 0.3.0 and older.
	ModTime    time.Time `json:"mod_time,omitzero"`
	EndsSHA256 string    `json:"ends_sha256,omitempty"`
	// Location and Version, for an input given as an [ObjectInput] (an
	// object in a bucket), are where it was opened (a URL with the
	// parameters that reach its store, never a credential) and which
	// version of it was read (an ETag, a GCS generation), as a plan
	// records them ([PlanInput]), so that a rerun can tell the same
	// object from a replaced one; Path is then the object's name. Empty
	// for a local file, and in manifests of splitdata 0.5.0 and older.
	Location string `json:"location,omitempty"`
	Version  string `json:"version,omitempty"`
}

// SplitInfo describes one output split.
type SplitInfo struct {
	Name  string     `json:"name"`
	Rows  int64      `json:"rows"`
	Files []FileInfo `json:"files"`
}

// FileInfo describes one output file; Path is relative to the output
// directory and uses forward slashes.
type FileInfo struct {
	Path   string `json:"path"`
	Rows   int64  `json:"rows"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// Bytes returns the total size of the split's files.
func (s SplitInfo) Bytes() int64 {
	var n int64
	for _, f := range s.Files {
		n += f.Bytes
	}
	return n
}

// ReadManifest reads, decodes and checks the manifest in dir. A dir with
// no manifest gives an error wrapping [ErrNotOutput].
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, notOutput(dir, false, err)
	}
	m, err := ParseManifest(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestName), err)
	}
	return m, nil
}

// ErrBadManifest reports a manifest that cannot be decoded or that
// contradicts itself.
var ErrBadManifest = errors.New("invalid manifest")

// ParseManifest decodes a manifest and checks what later steps rely on: a
// known tool and algorithm, non-negative counts, split names that are
// single path elements, and file paths inside their split's directory
// (SPLIT/part-NNNNN.parquet) with a SHA-256 in hex, so that a damaged or
// hostile manifest cannot send [Verify] outside the output directory.
// Errors wrap [ErrBadManifest].
func ParseManifest(b []byte) (*Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadManifest, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrBadManifest)
	}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadManifest, err)
	}
	return &m, nil
}

func (m *Manifest) check() error {
	switch {
	case !slices.Contains(sinks.Formats(), m.Options.Format):
		return fmt.Errorf("output format %q, want one of %s", m.Options.Format, strings.Join(sinks.Formats(), ", "))
	case m.Tool != "splitdata":
		return fmt.Errorf("tool %q, want splitdata", m.Tool)
	case m.Algorithm < 1 || m.Algorithm > AlgorithmVersion:
		return fmt.Errorf("algorithm version %d, this splitdata knows 1 to %d", m.Algorithm, AlgorithmVersion)
	case m.Rows < 0 || m.Unassigned < 0 || m.Unassigned > m.Rows || m.Duplicates < 0:
		return fmt.Errorf("row counts %d (unassigned %d, duplicates %d) out of range", m.Rows, m.Unassigned, m.Duplicates)
	case m.Duplicates > 0 && !writesCopies(m.Options):
		return fmt.Errorf("%d duplicate rows in a job that writes each row once", m.Duplicates)
	}
	for _, in := range m.Inputs {
		if in.Size < 0 || in.Rows < 0 {
			return fmt.Errorf("input %q: negative size or rows", in.Path)
		}
		if in.EndsSHA256 != "" && !isSHA256Hex(in.EndsSHA256) {
			return fmt.Errorf("input %q: ends_sha256 %q is not a SHA-256 in lower-case hex", in.Path, in.EndsSHA256)
		}
		if in.Location == "" && in.Version != "" {
			return fmt.Errorf("input %q: a version without a location", in.Path)
		}
		if in.Location != "" && !in.ModTime.IsZero() {
			return fmt.Errorf("input %q: an object (with a location) has no modification time", in.Path)
		}
	}
	for i, e := range m.Extras {
		if !slices.Contains(ExtraNames, e.Path) || slices.ContainsFunc(m.Extras[:i], func(o ExtraFile) bool { return o.Path == e.Path }) {
			return fmt.Errorf("extra file %q is repeated or not one of %s", e.Path, strings.Join(ExtraNames, ", "))
		}
		if e.Bytes < 0 || len(e.SHA256) != 64 || strings.Trim(e.SHA256, "0123456789abcdef") != "" {
			return fmt.Errorf("%s: negative size or sha256 %q not 64 lowercase hex digits", e.Path, e.SHA256)
		}
	}
	names := map[string]bool{}
	for _, s := range m.Splits {
		plain := !strings.ContainsAny(s.Name, `/\`) || m.Options.Materialize && materializedName.MatchString(s.Name) || orderedName(m.Options, s.Name)
		if s.Name == "" || s.Name == "." || s.Name == ".." || !plain || names[s.Name] {
			return fmt.Errorf("split name %q is empty, repeated or not a single path element", s.Name)
		}
		names[s.Name] = true
		if s.Rows < 0 {
			return fmt.Errorf("split %s: negative rows", s.Name)
		}
		wantDir := s.Name + "/"
		if flatCommand(m.Command) {
			wantDir = "" // one output, its files directly in the directory
			if len(m.Splits) != 1 {
				return fmt.Errorf("a %s has one output, not %d", m.Command, len(m.Splits))
			}
		}
		ext := "." + m.Options.Format
		for _, f := range s.Files {
			dir, base := path.Split(f.Path)
			if dir != wantDir || !manifestFileName.MatchString(base) || path.Ext(base) != ext {
				return fmt.Errorf("split %s: file path %q is not %spart-NNNNN%s", s.Name, f.Path, wantDir, ext)
			}
			if f.Rows < 0 || f.Bytes < 0 {
				return fmt.Errorf("%s: negative rows or bytes", f.Path)
			}
			if len(f.SHA256) != 64 || strings.Trim(f.SHA256, "0123456789abcdef") != "" {
				return fmt.Errorf("%s: sha256 %q is not 64 lowercase hex digits", f.Path, f.SHA256)
			}
		}
	}
	return nil
}

// materializedName is the name of an output of kfold --materialize.
var materializedName = regexp.MustCompile(`^fold-[0-9]+/(train|test)$`)

// manifestFileName is the name of an output file in a manifest.
var manifestFileName = regexp.MustCompile(`^part-[0-9]{5,}\.(parquet|arrow|csv|jsonl)$`)

// inputOptions are the options the inputs of a job with options o are
// opened with.
func (o ManifestOptions) inputOptions() sources.Options {
	opts := sources.Options{Format: o.InputFormat}
	if o.InputCSV != nil {
		opts.CSV = *o.InputCSV
	}
	if o.InputJSONL != nil {
		opts.JSONL = *o.InputJSONL
	}
	return opts
}

// openOutput opens an output file of a job with options o for reading.
func (o ManifestOptions) openOutput(path string) (sources.FileSource, error) {
	return sources.Open(path, o.outputOptions())
}

// outputOptions are the options that read an output file of a job with
// options o.
func (o ManifestOptions) outputOptions() sources.Options {
	opts := sources.Options{Format: o.Format}
	if o.CSV != nil {
		opts.CSV = sources.CSVOptions{Delimiter: o.CSV.Delimiter, NoHeader: o.CSV.NoHeader, Null: o.CSV.Null}
	}
	return opts
}
