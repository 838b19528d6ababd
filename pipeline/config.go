package pipeline

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/sinks"
	"github.com/splitdata/splitdata/sources"
	"github.com/splitdata/splitdata/splitter"
)

// Version is the splitdata release, recorded in manifests.
const Version = "0.8.0"

// AlgorithmVersion identifies the assignment algorithm specified in
// docs/algorithm.md. Any change that moves a row for the same seed and
// options must bump it.
const AlgorithmVersion = 1

// CreatedBy is written into every Parquet footer. It is pinned, not derived
// from library versions, so that output bytes do not change when a
// dependency is upgraded.
const CreatedBy = "splitdata (parquet writer v1)"

// Defaults for the output layout. They are part of the output bytes: changing
// one changes outputs, so they are pinned and documented in the README.
const (
	DefaultRowGroupRows = 131072
	DefaultRowsPerFile  = 1048576
	// DefaultMemoryLimit is a job's memory budget by default (see
	// JobOptions.MemoryLimit): the whole process's, of which MemoryReserve
	// (30 MiB here) is left to its baseline. It was 256 MiB up to 0.6.0,
	// whose runs peaked at 301-313 MB on benchmarks/peers.sh's shapes,
	// the baseline on top of the budget; at 240 MiB, 210 MiB of heap, the
	// wide shape (streamed row groups, the highest peak) measured 265-273
	// MB, under the 300 MB that issue 22 asks of the default.
	DefaultMemoryLimit = 240 << 20
	// DefaultShuffleMemory was the memory a Shuffle held by default.
	//
	// Deprecated: ShuffleMemory now defaults to half of MemoryLimit.
	// Larger is not faster: spilled partitions are cheap to write and
	// read back, and a smaller heap costs the collector less (10M gen rows:
	// 17-19 s at 256-512 MiB, 21 s at 2 GiB).
	DefaultShuffleMemory = 512 << 20
)

// MaxWorkers is the most goroutines a job may read and encode with
// (JobOptions.Workers, ShardConfig.Workers). Each worker holds a decoded
// unit and an output row group, so more workers than cores only cost
// memory; the cap is fixed, not a multiple of this machine's CPUs, so that
// a command that runs on one machine runs on every other.
const MaxWorkers = 256

// MaxRowGroupsPerFile is the most row groups a Parquet file splitdata
// writes may hold: the limit of its Parquet writer. RowsPerFile divided by
// RowGroupRows, rounded up, must not exceed it.
const MaxRowGroupsPerFile = parquet.MaxRowGroups

// ErrUsage classes errors in the options a caller passed (the CLI exits 2).
// It is the same value as [splitter.ErrUsage].
var ErrUsage = splitter.ErrUsage

// What the ratios of a grouped split measure (SplitConfig.RatioBy).
const (
	RatioByGroups = "groups"
	RatioByRows   = "rows"
)

// ErrOutputExists reports an output directory that already has content
// while Overwrite is not set.
var ErrOutputExists = errors.New("output exists")

// ErrTooLarge reports a job that needs more memory than its limit allows.
var ErrTooLarge = errors.New("too large for memory")

// SplitConfig describes one split job. The zero value of each field means
// the documented default; Inputs and Out are required.
type SplitConfig struct {
	// Inputs are files, directories or glob patterns; see [ResolveInputs].
	// Inputs or Sources (or both) must name at least one input.
	Inputs []string `json:"inputs"`
	// Out is the output directory. It must not exist or be empty unless
	// Overwrite is set.
	Out string `json:"out"`
	// Seed is the master seed: a non-negative decimal integer of any size,
	// or any other text, hashed as docs/algorithm.md says (see [prng.Seed];
	// [prng.SeedOf] makes one from an integer). Empty means a fresh seed is
	// drawn; it is reported in the manifest.
	Seed prng.Seed `json:"seed"`
	// Splits lists the splits in order with their ratios or sizes. Empty
	// means train=0.8,test=0.2.
	Splits []splitter.Split `json:"splits"`
	// Approx assigns rows independently by key thresholds: no counting pass,
	// sizes only approximately proportional.
	Approx bool `json:"approx"`
	// Shuffle writes each split in canonical order, ascending (key, global
	// row index), instead of input order. Rows that fit in ShuffleMemory are
	// ordered in memory; larger inputs are spilled to temporary files by key
	// range and ordered one range at a time. The output is the same either
	// way.
	Shuffle bool `json:"shuffle"`
	// Group names a column whose equal values must land in the same split
	// (no leakage between splits). A group's split is a pure function of the
	// seed and its value (docs/algorithm.md): adding rows or files never
	// moves an existing group. Grouped splits take ratios and are
	// approximate: each group goes independently by its key. Several
	// columns separated by commas ("patient,visit") form one group key
	// (docs/algorithm.md section 19), unless the whole text names a column.
	Group string `json:"group,omitempty"`
	// GroupByContent makes rows with equal values one group, as Group
	// does for its columns, so that duplicates never straddle splits: in
	// ContentColumns (a comma-separated list), or in every column when it
	// is empty. Columns may be of any non-repeated type; docs/algorithm.md
	// section 19 gives the rules (nulls equal, NaNs equal, -0.0 is 0.0).
	// A first pass counts the groups and the rows that have a duplicate,
	// comparing the values themselves, not their hashes, through
	// temporary files in TempDir beyond ShuffleMemory; the manifest
	// records them ([ContentStats]).
	GroupByContent bool `json:"group_by_content,omitempty"`
	// ContentColumns lists the columns GroupByContent compares; empty
	// means all of them.
	ContentColumns string `json:"content_columns,omitempty"`
	// Stratify names a column whose classes (its values, null one of them)
	// each split in the proportions of the whole: inside every class the
	// split sizes follow the ratios as closely as integers allow while the
	// split totals stay exact (docs/algorithm.md sections 12-13). A first
	// pass reads only that column; each row's class id is kept, 4 bytes
	// per row, in memory up to ShuffleMemory, else in a temporary file in
	// TempDir. Exact splits only. With Group, whole groups go to the
	// splits so that each split's class shares stay near the overall ones
	// (docs/algorithm.md section 17): sizes are then near, not exactly,
	// the split list's, counts are accepted and RatioBy must not be
	// "groups"; the manifest's StratifiedGroups records the outcome.
	Stratify string `json:"stratify,omitempty"`
	// Compat, if set, makes the job return exactly the rows, in exactly the
	// order, of a Python library's call with the same seed text
	// (docs/compat.md): "sklearn", "hf", "torch", "numpy-legacy" or
	// "python". It needs Seed and takes 4 bytes of memory per row.
	Compat splitter.CompatMode `json:"compat,omitempty"`
	// RatioBy, with Group, says what the ratios (or counts) measure:
	// "groups" (the default: each group by its own key, key-stable) or
	// "rows" (whole groups, cut so that row totals track the sizes; not
	// key-stable; docs/algorithm.md section 14). "rows" keeps a group key
	// per row, 8 bytes per row, in memory up to ShuffleMemory, else in a
	// temporary file in TempDir.
	RatioBy string `json:"ratio_by,omitempty"`
	// OrderBy, if set, splits in order instead of by key: the rows ranked
	// by their value in this column (an integer, float, date or timestamp
	// column), ties by global row index, the first sizes of the list
	// going to the first split (docs/algorithm.md section 18). A first
	// pass reads only that column and keeps an order key per row, 8 bytes
	// a row, in memory up to ShuffleMemory, else in a temporary file in
	// TempDir. [OrderByRow] ("row") splits in input order, reading no
	// column: scikit-learn's train_test_split(shuffle=False). Exact splits
	// only.
	OrderBy string `json:"order_by,omitempty"`
	// TrainTest, if set, sizes two splits, train and test, as
	// scikit-learn's train_test_split sizes them from train_size and
	// test_size once the row count is known; Splits must then be empty.
	// The manifest records the resulting counts.
	TrainTest *splitter.TrainTest `json:"train_test,omitempty"`
	// Nulls places null values of the OrderBy column: "last" (the
	// default when empty) after every value, "first" before.
	Nulls string `json:"nulls,omitempty"`
	// IndexOnly writes, instead of the rows, each split's global row
	// indices: files with one required int64 column "row" (see IndexSchema),
	// in the order the rows would have been written. The inputs' data is
	// not read, only their footers.
	IndexOnly bool `json:"index_only"`
	// JobOptions are the options every job shares.
	JobOptions
}

// JobOptions are the options every job ([Split], [Shuffle], [Sample],
// [KFold]) shares: how inputs are read, how output files are shaped, and
// how the job runs. The zero value of each field means its default.
type JobOptions struct {
	// Sources are inputs given as values (files on an fs.FS, io.ReaderAt
	// data, bucket objects, the caller's own sources: see [Input]), read
	// after the files of Inputs, in order. They are not recorded in JSON:
	// manifests name them in their inputs. A sharded plan takes paths
	// and [ObjectInput]s only.
	Sources []Input `json:"-"`
	// Output, if not nil, receives the job's files, and last its
	// manifest, in place of the local directory Out (which is then not
	// used, nor are Overwrite and the checks that the inputs lie outside
	// it: opening the Output is its constructor's job). The job commits
	// it when it succeeds and aborts it when it fails; the files' bytes
	// are those written to a directory.
	Output Output `json:"-"`
	// OutputFS, if not nil, holds the committed output Out names when Out
	// is not a local directory (a bucket prefix): the Committed methods
	// (--if-exists skip) read its manifest, and with hashes its files,
	// through it. Jobs themselves do not use it.
	OutputFS fs.FS `json:"-"`
	// RowIndexColumn, if set, adds to the written rows a last top-level
	// column of that name, a required int64 holding each row's global row
	// index. It must not name an input column; it cannot go with IndexOnly.
	RowIndexColumn string `json:"row_index_column,omitempty"`
	// MemoryLimit is the job's memory budget in bytes, the whole
	// process's: min(MemoryLimit/8, [MemoryReserve]) of it is left to the
	// process's baseline (binary, runtime, SDKs), and the decoded input
	// (a row group estimated larger than its share is read in parts of
	// a few pages), the row groups being encoded, the shuffle and the
	// per-row state are all sized from the rest, the heap budget
	// (docs/architecture.md, "Memory"). It never changes an output byte.
	// A job whose output row groups cannot fit in it fails at once
	// ([ErrTooLarge]). 0 means DefaultMemoryLimit, or twice ShuffleMemory
	// and the reserve if that is larger, raised to what the job's output
	// row groups need: a budget, not a refusal. A library job sizes
	// itself from it exactly as the command line's (--memory) does. The
	// command line also sets the Go runtime's soft memory limit to the
	// heap budget, which is process-wide, so a library job does so only
	// when asked: set OnBudget to [GoMemoryLimit](options) to get the
	// command line's bounds.
	MemoryLimit int64 `json:"-"`
	// ShuffleMemory bounds the decoded rows a Shuffle holds at once (an
	// estimate), and the per-row state of Stratify and RatioBy "rows"
	// kept in memory; 0 means half of MemoryLimit less its reserve (see
	// MemoryLimit).
	ShuffleMemory int64 `json:"-"`
	// TempDir holds a spilling Shuffle's temporary files (empty: a
	// directory inside the output's temporary directory, on the output's
	// file system) and per-row state beyond ShuffleMemory (empty: the
	// system's temporary directory). They are removed however the run ends
	// (but SIGKILL).
	TempDir string `json:"-"`
	// TempStore, when set, holds the temporary files TempDir would
	// (spilled shuffle partitions, row tables, group and content files),
	// for instance in a bucket (storage.Store.NewScratch); streamed row
	// groups keep their pages in a local directory still. The caller
	// removes what it holds.
	TempStore TempStore `json:"-"`
	// RowsPerFile cuts each split into files of this many rows; 0 means
	// DefaultRowsPerFile.
	RowsPerFile int64 `json:"rows_per_file"`
	// RowGroupRows is the number of rows per output row group; 0 means
	// DefaultRowGroupRows.
	RowGroupRows int64 `json:"row_group_rows"`
	// InputFormat is the format of every input ("parquet"); empty means
	// each file's format by its extension, so formats can mix when their
	// schemas are equal.
	InputFormat string `json:"input_format,omitempty"`
	// CSV holds the options of CSV inputs: delimiter, header, schema,
	// inference, null text (see [sources.CSVOptions]).
	CSV sources.CSVOptions `json:"csv,omitzero"`
	// JSONL holds the options of JSON Lines inputs: schema, inference.
	JSONL sources.JSONLOptions `json:"jsonl,omitzero"`
	// Format is the output format: "parquet" (the default), "arrow" (Arrow
	// IPC file format), "csv" or "jsonl".
	Format string `json:"format"`
	// CSVOut and Arrow hold the options of CSV and Arrow output.
	CSVOut sinks.CSVWriteOptions `json:"csv_out,omitzero"`
	Arrow  sinks.ArrowOptions    `json:"arrow,omitzero"`
	// Parquet holds the Parquet output encoding options.
	Parquet sinks.ParquetOptions `json:"parquet"`
	// Workers bounds the goroutines reading and encoding; 0 means the number
	// of CPUs. It never changes an output byte.
	Workers int `json:"-"`
	// Overwrite allows replacing an existing output directory.
	Overwrite bool `json:"-"`
	// Progress, if not nil, receives the job's progress.
	Progress Progress `json:"-"`
	// OnBudget, if not nil, is called once the job is planned, before
	// any row is read, with the job's memory budget in bytes: MemoryLimit,
	// or the default raised to the job's need when MemoryLimit is 0.
	OnBudget func(bytes int64) `json:"-"`
	// OnPath, if not nil, is called once the job is planned, before any
	// row is read, with whether it takes the columnar path (inputs of a
	// schema without repeated fields; see docs/architecture.md),
	// whose decoded rows take about a third of the row path's memory. The
	// command line sizes the Go runtime's soft memory limit with it.
	OnPath func(columnar bool) `json:"-"`
	// Attach, if not nil, is called once every output file is written
	// and checked, before the manifest is: with the directory holding the
	// output as it will be committed and the manifest about to be
	// written. Files it writes in that directory (a report, a dataset
	// card) are committed with the output; it lists them in m.Extras.
	Attach func(ctx context.Context, dir string, m *Manifest) error `json:"-"`
	// Observer, if not nil, sees every output row group as it is
	// encoded (see [Observer]), for Attach.
	Observer Observer `json:"-"`
}

// GoMemoryLimit sets the Go runtime's soft memory limit
// (runtime/debug.SetMemoryLimit) to the heap budget of a job with these
// options (its memory budget less the reserve for the process's baseline,
// see JobOptions.MemoryLimit), as the command line does, and returns the
// OnBudget that moves it to the budget the job settles on (the default
// grows to what a job needs). If the GOMEMLIMIT environment variable is set it does nothing
// and returns nil: the user's limit stands. The engine sizes what it holds
// from the same budget, so the live heap stays under it by design; the
// limit only keeps the collector from letting the heap idle at twice the
// live data. It is soft: should the live data exceed it, the process uses
// more rather than fail. The limit is the process's: a process running
// several jobs at once should set it to what they may take together
// instead, as the last job's call sets it for all of them.
//
//	opts.OnBudget = pipeline.GoMemoryLimit(opts)
func GoMemoryLimit(opts JobOptions) (onBudget func(bytes int64)) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return nil
	}
	limit := opts.MemoryLimit
	if limit == 0 {
		limit = max(DefaultMemoryLimit, memoryFor(2*opts.ShuffleMemory))
	}
	debug.SetMemoryLimit(heapBudget(limit))
	return func(bytes int64) { debug.SetMemoryLimit(heapBudget(bytes)) }
}

// DefaultSplits returns the splits every config takes when its list is
// empty: train=0.8,test=0.2.
func DefaultSplits() []splitter.Split {
	return []splitter.Split{{Name: "train", Ratio: 0.8}, {Name: "test", Ratio: 0.2}}
}

// withDefaults returns c with zero fields replaced by their defaults.
func (c SplitConfig) withDefaults() SplitConfig {
	if len(c.Splits) == 0 {
		c.Splits = DefaultSplits()
	}
	if c.RowsPerFile == 0 {
		c.RowsPerFile = DefaultRowsPerFile
	}
	if c.RowGroupRows == 0 {
		c.RowGroupRows = DefaultRowGroupRows
	}
	if c.MemoryLimit == 0 {
		c.MemoryLimit = max(DefaultMemoryLimit, memoryFor(2*c.ShuffleMemory))
	}
	if c.ShuffleMemory == 0 {
		c.ShuffleMemory = shuffleShare(c.MemoryLimit, c.TempStore)
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.Progress == nil {
		c.Progress = noProgress{}
	}
	if c.Format == "" {
		c.Format = sinks.FormatParquet
	}
	if c.Parquet.CreatedBy == "" {
		c.Parquet.CreatedBy = CreatedBy
	}
	if c.Parquet.Encoding == "" || c.Parquet.Encoding == sinks.EncodingAuto {
		// Recorded in the manifest: splitdata 0.4 recorded no encoding
		// (its bytes are EncodingPlain's), and dictionaries are used.
		c.Parquet.Encoding, c.Parquet.Dictionary = sinks.EncodingAuto, true
	}
	if (c.Parquet.Compression == "" || c.Parquet.Compression == "snappy") && c.Parquet.CompressionLevel == 0 {
		// Recorded in the manifest: splitdata 0.1 recorded no level for
		// its snappy, which was the "better" encoder (level 2).
		c.Parquet.CompressionLevel = sinks.SnappyFast
	}
	return c
}
