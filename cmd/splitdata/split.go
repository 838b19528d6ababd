package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/sinks"
	"github.com/splitdata/splitdata/sources"
	"github.com/splitdata/splitdata/splitter"
)

type splitFlags struct {
	out          string
	seed         seedFlag
	ratios       string
	testSize     string
	sizes        string
	approx       bool
	shuffle      bool
	indexOnly    bool
	rowIndexCol  string
	group        string
	content      string // --group-by-content (content.go)
	memory       string
	tempDir      string
	workers      int
	overwrite    bool
	rowsPerFile  int64
	rowGroupRows int64
	inputFormat  string
	format       string
	compat       string
	stratify     string
	ratioBy      string
	delimiter    string
	noHeader     bool
	null         string
	csvSchema    string
	inferRows    int
	compression  string
	level        int
	pageSize     string
	dictionary   bool
	indexRuns    bool
	priced       bool
	jsonOut      bool
	quiet        bool
	order        orderFlags // --order-by, --nulls, --random-state, --train-size (order_flags.go)
	step         stepFlags  // --result-json, --if-exists
	report, card bool       // --report, --card (report.go)
}

func newSplitCmd(stdout io.Writer, log *logger) *cobra.Command {
	var f splitFlags
	cmd := &cobra.Command{
		Use:   "split INPUT... --out DIR [flags]",
		Short: "Split tabular files into train/test (or any) splits, reproducibly",
		Long: `Split reads the rows of every INPUT (files of Parquet, Arrow IPC, CSV or JSON Lines;
directories, of which it reads every file of those formats; or globs; taken in
path order) once, assigns each row to a split and writes the files
DIR/<split>/part-NNNNN.parquet (--format arrow, csv, jsonl: .arrow, .csv,
.jsonl) and DIR/manifest.json.

Row i (counting from 0 across all inputs in path order) gets the key
numpy.random.PCG64(seed).random_raw(n)[i]. By default split sizes are exact,
like scikit-learn's train_test_split: rows are ranked by (key, i) and split j
takes the next size_j rows of that order. With --approx each row goes to the
split whose key range [C_(j-1)*2^64, C_j*2^64) holds its key. With --order-by
COL the exact sizes are cut from the order of the column's values instead (ties
by i): the first rows go to the first split, as for a split by time;
--order-by row (or --shuffle=false) is input order, scikit-learn's
shuffle=False. Rows keep their input order inside each split (--shuffle:
canonical order). The output never depends on --workers or on how the input is
divided into files and row groups.

The output appears atomically: nothing exists under DIR until the run has
succeeded. See docs/algorithm.md for the full specification.`,
		Example: `  splitdata split data/ --out splits --seed 42
  splitdata split 'data/*.parquet' --out splits --seed 42 --ratios train=0.8,valid=0.1,test=0.1
  splitdata split data/ --out splits --seed my-experiment --test-size 10000
  splitdata split data/ --out splits --seed 7 --sizes train=1000000,test=50000 --overwrite
  splitdata split data/ --out splits --order-by event_time --ratios train=0.8,valid=0.1,test=0.1`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("split needs at least one INPUT")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			f.order.shuffleSet = cmd.Flags().Changed("shuffle")
			return f.execute(cmd.Context(), args, stdout, log, func(ctx context.Context, cfg pipeline.SplitConfig) (*pipeline.Manifest, error) {
				return runStep(ctx, &f.step, log, cfg.Out, cfg, pipeline.Split)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.ratios, "ratios", "", "split names and shares, in order, e.g. train=0.8,valid=0.1,test=0.1 (default train=0.8,test=0.2)")
	fl.StringVar(&f.testSize, "test-size", "", "test share (0 < p < 1) or row count; the rest is train, as in scikit-learn")
	fl.StringVar(&f.sizes, "sizes", "", "exact row counts per split, e.g. train=80000,test=20000 (rows beyond their sum go nowhere)")
	fl.BoolVar(&f.approx, "approx", false, "assign rows independently by key range: no counting pass, sizes approximately proportional")
	fl.BoolVar(&f.shuffle, "shuffle", false, "write each split in canonical order, ascending (key, row index), instead of input order (--shuffle=false, scikit-learn's shuffle=False: --order-by row)")
	fl.BoolVar(&f.indexOnly, "index-only", false, "write each split's global row indices (one int64 column \"row\") instead of its rows; reads only footers")
	f.addCompatFlag(fl)
	f.addStratifyFlag(fl)
	f.addGroupFlags(fl, "split", "")
	fl.StringVar(&f.ratioBy, "ratio-by", "", "with --group: what the ratios measure: groups (default; key-stable) or rows (whole groups, row totals near the sizes; not key-stable)")
	f.addOrderFlags(fl, "splits", "the first rows go to the first split")
	f.addTrainSizeFlag(fl)
	f.addCardFlag(fl)
	f.addCommonFlags(fl)
	return cmd
}

// addCompatFlag registers --compat, for the commands that have a
// compatibility mode.
func (f *splitFlags) addCompatFlag(fl *pflag.FlagSet) {
	fl.StringVar(&f.compat, "compat", "", "return exactly the rows and order of a Python library with this seed: sklearn, hf, torch, numpy-legacy or python (docs/compat.md; needs --seed, 4 bytes of memory per row)")
}

// addStratifyFlag registers --stratify, for split, kfold and sample.
func (f *splitFlags) addStratifyFlag(fl *pflag.FlagSet) {
	fl.StringVar(&f.stratify, "stratify", "", "keep every class of this column (a boolean, integer or string column of at most 65536 classes; null is a class) in the overall proportions, with exact totals; reads that column first, 4 bytes of memory per row; with --group (split, kfold): whole groups, each split's class shares near the overall ones, sizes near the targets (docs/algorithm.md section 17)")
}

// addInputFlags registers the flags that say how inputs are read.
func (f *splitFlags) addInputFlags(fl *pflag.FlagSet) {
	fl.StringVar(&f.inputFormat, "input-format", "", "format of every INPUT: "+strings.Join(sources.Formats(), ", ")+" (default: by file extension; formats mix when schemas are equal)")
	fl.StringVar(&f.delimiter, "delimiter", "", `CSV field delimiter of inputs and output: one character, or "tab" (default ",", tab for .tsv inputs)`)
	fl.BoolVar(&f.noHeader, "no-header", false, "CSV inputs have no header record (names from --schema, else c0, c1, ...), and CSV output gets none")
	fl.StringVar(&f.null, "null", "", "the CSV text of a null value, in inputs and output (default: the empty field)")
	fl.StringVar(&f.csvSchema, "schema", "", "CSV and JSON Lines input column types, in order: name:type,... with types bool, int64, double, string, date, timestamp (a ! suffix: required); default: inferred")
	fl.IntVar(&f.inferRows, "infer-rows", sources.DefaultCSVInferRows, "CSV and JSON Lines records sampled to infer column types (negative: every record)")
}

// inputOptions are the input flags' options. The CSV ones (delimiter,
// header, null text) also shape CSV output.
func (f *splitFlags) inputOptions() (sources.Options, error) {
	delim, err := parseDelimiter(f.delimiter)
	if err != nil {
		return sources.Options{}, err
	}
	opts := sources.Options{Format: f.inputFormat,
		CSV:   sources.CSVOptions{Delimiter: delim, NoHeader: f.noHeader, Schema: f.csvSchema, Null: f.null},
		JSONL: sources.JSONLOptions{Schema: f.csvSchema}}
	if f.inferRows != sources.DefaultCSVInferRows {
		opts.CSV.InferRows = f.inferRows
		opts.JSONL.InferRows = f.inferRows
	}
	return opts, nil
}

// addCommonFlags registers the flags the split engine's commands share.
func (f *splitFlags) addCommonFlags(fl *pflag.FlagSet) {
	f.addInputFlags(fl)
	fl.StringVar(&f.out, "out", "", "output directory, or bucket prefix: s3://, gs://, az:// (required)")
	fl.Var(&f.seed, "seed", "master seed: a non-negative integer of any size, or any text (default: a fresh seed, printed and recorded)")
	f.addSklearnFlags(fl)
	fl.StringVar(&f.memory, "memory", "", "memory budget of the whole process: an eighth of it, at most 32MiB, is left to the process's baseline (binary, runtime); the rest holds decoded input (large row groups are read a few pages at a time), row groups being encoded, a shuffle's rows (half of it; beyond, temporary files), the per-row state of --stratify and --ratio-by rows, and is the Go runtime's soft limit unless GOMEMLIMIT is set; a job that cannot fit fails at once; never changes the output (default 240MiB, which peaks under 300 MB; raised to what the job's output row groups need)")
	fl.StringVar(&f.rowIndexCol, "row-index-column", "", "add a last column of this name holding each row's global row index (int64)")
	fl.StringVar(&f.tempDir, "temp-dir", "", "directory or bucket prefix (s3://, gs://, az://) for temporary files: a spilling shuffle's, and per-row state beyond --memory; a local one also holds streamed row groups' pages and, with --report or --card, a bucket output on its way (default: a spilling shuffle's files and streamed pages beside a local output, per-row state in the system's temporary directory; for a bucket output, all in the system's temporary directory)")
	fl.IntVar(&f.workers, "workers", 0, "goroutines reading and encoding (default: number of CPUs; at most 256); never changes the output")
	fl.BoolVar(&f.overwrite, "overwrite", false, "replace an existing output directory")
	fl.StringVar(&f.format, "format", sinks.FormatParquet, "output format: "+strings.Join(sinks.Formats(), ", ")+" (arrow: Arrow IPC file format)")
	fl.Int64Var(&f.rowsPerFile, "rows-per-file", pipeline.DefaultRowsPerFile, "rows per output file")
	fl.Int64Var(&f.rowGroupRows, "row-group-rows", pipeline.DefaultRowGroupRows, "rows per output row group")
	fl.StringVar(&f.compression, "compression", "", "output compression: Parquet snappy (default), zstd, gzip, lz4 or none; Arrow none (default), zstd or lz4")
	fl.IntVar(&f.level, "compression-level", 0, "compression level: snappy 1 (fast) or 2 (better: smaller, slower, splitdata 0.1's bytes), zstd 1-22, gzip 1-9 (0: the codec's default: snappy 1, zstd 3, gzip 6)")
	fl.StringVar(&f.pageSize, "page-size", "", "target uncompressed size of a data page, e.g. 1MiB (default 256KiB)")
	fl.BoolVar(&f.dictionary, "dictionary", true, "dictionary-encode each column chunk where it pays (--dictionary=false: every column PLAIN, splitdata 0.4's bytes)")
	fl.BoolVar(&f.indexRuns, "index-runs", true, "write a dictionary's indexes with a run of equal indexes wherever one pays (--index-runs=false: parquet-go's runs of aligned groups of 8 only; with --compressed-pricing=false, splitdata 0.5 and 0.6's bytes)")
	fl.BoolVar(&f.priced, "compressed-pricing", true, "give a column chunk a dictionary only where it is smaller compressed too, and compress dictionary pages with snappy's better encoder (--compressed-pricing=false: raw sizes decide, splitdata 0.5 to 0.7's choice and 0.7's bytes)")
	fl.BoolVar(&f.jsonOut, "json", false, "print the manifest as JSON on stdout instead of the summary table")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print nothing but errors (and no progress bar)")
	f.step.addFlags(fl)
	f.addReportFlag(fl)
}

// execute runs a job of the split engine with the flags' configuration and
// reports it: progress on a terminal, seed notes on stderr, the summary or
// the manifest on stdout.
func (f *splitFlags) execute(ctx context.Context, args []string, stdout io.Writer, log *logger,
	runJob func(context.Context, pipeline.SplitConfig) (*pipeline.Manifest, error)) error {
	cfg, err := f.config(args)
	if err != nil {
		return err
	}
	if f.order.note != "" && !f.quiet {
		log.info(f.order.note)
	}
	if cfg.Seed == "" && !f.quiet {
		log.info("no --seed given: drawing a fresh one (recorded in the manifest)")
	}
	// The report's temporary files are local ones (bindJob gives a
	// bucket --temp-dir to the job's own files).
	ac := cfg
	ac.TempDir = localTempDir(cfg.TempDir)
	f.attach(&ac)
	cfg.Attach, cfg.Observer = ac.Attach, ac.Observer
	var locs locations
	defer locs.release(context.WithoutCancel(ctx))
	if err := locs.bindJob(ctx, &cfg, f.step.ifExists); err != nil {
		return err
	}
	cfg.OnBudget = setMemoryLimit(cfg)
	view := newProgress(log, f.quiet)
	if view != nil {
		cfg.Progress = view
	}
	m, err := runJob(ctx, cfg)
	if err == nil {
		err = locs.finish(ctx) // a bucket output written locally first (--report, --card)
	}
	if view != nil {
		view.finish(err == nil)
	}
	if err != nil {
		return err
	}
	if f.step.resultJSON != "" {
		if err := writeResult(f.step.resultJSON, manifestResult(log.command, cfg.Out, m, f.step.skipped)); err != nil {
			return err
		}
	}
	if m.SeedGenerated && !f.quiet {
		log.info(fmt.Sprintf("seed %s (repeat this run with --seed %s)", m.Seed, m.Seed), "seed", m.Seed)
	}
	if f.jsonOut {
		return printJSON(stdout, m)
	}
	if f.quiet {
		return nil
	}
	return printSummary(stdout, cfg.Out, m)
}

// config turns the flags into a pipeline configuration.
func (f *splitFlags) config(inputs []string) (pipeline.SplitConfig, error) {
	var cfg pipeline.SplitConfig
	if f.out == "" {
		return cfg, usagef("--out is required")
	}
	var memory uint64
	if f.memory != "" {
		var err error
		memory, err = humanize.ParseBytes(f.memory)
		if err != nil || memory == 0 || memory > math.MaxInt64 {
			return cfg, usagef("--memory %q: want a positive size such as 512MiB or 4GB", f.memory)
		}
	}
	trainTest, err := f.trainTestSplits()
	if err != nil {
		return cfg, err
	}
	var splits []splitter.Split
	if trainTest == nil {
		if splits, err = parseSplitList(f.ratios, f.testSize, f.sizes); err != nil {
			return cfg, err
		}
	}
	orderBy, nulls, err := f.orderConfig()
	if err != nil {
		return cfg, err
	}
	if f.rowsPerFile <= 0 {
		return cfg, usagef("--rows-per-file must be positive, got %d", f.rowsPerFile)
	}
	if f.rowGroupRows <= 0 {
		return cfg, usagef("--row-group-rows must be positive, got %d", f.rowGroupRows)
	}
	if err := checkWorkers(f.workers); err != nil {
		return cfg, err
	}
	overwrite, err := f.step.check(f.overwrite)
	if err != nil {
		return cfg, err
	}
	if f.step.ifExists == ifExistsSkip && f.seed.value == "" {
		return cfg, usagef("--if-exists skip needs --seed: without one a rerun draws a fresh seed, so no earlier output can be its own")
	}
	if err := f.applyRandomState(); err != nil {
		return cfg, err
	}
	if f.seed.set && f.seed.value == "" {
		return cfg, usagef("--seed is empty: give a seed (an integer or any text), or leave --seed out to draw a fresh one")
	}
	byContent, contentCols, err := f.contentOptions(inputs)
	if err != nil {
		return cfg, err
	}
	cfg = pipeline.SplitConfig{
		Inputs:    inputs,
		Out:       f.out,
		Seed:      prng.Seed(f.seed.value),
		Splits:    splits,
		Approx:    f.approx,
		Shuffle:   f.shuffle,
		IndexOnly: f.indexOnly,
		Group:     f.group,
		Compat:    splitter.CompatMode(f.compat),
		Stratify:  f.stratify,
		RatioBy:   f.ratioBy,
		// --group-by-content (content.go)
		GroupByContent: byContent,
		ContentColumns: contentCols,
		OrderBy:        orderBy,
		Nulls:          nulls,
		TrainTest:      trainTest,
		JobOptions: pipeline.JobOptions{
			RowIndexColumn: f.rowIndexCol,
			MemoryLimit:    int64(memory),
			TempDir:        f.tempDir,
			RowsPerFile:    f.rowsPerFile,
			RowGroupRows:   f.rowGroupRows,
			Workers:        f.workers,
			Overwrite:      overwrite,
			InputFormat:    f.inputFormat,
			Format:         f.format,
		},
	}
	in, err := f.inputOptions()
	if err != nil {
		return cfg, err
	}
	cfg.CSV, cfg.JSONL = in.CSV, in.JSONL
	cfg.CSVOut = sinks.CSVWriteOptions{Delimiter: in.CSV.Delimiter, NoHeader: f.noHeader, Null: f.null}
	// --compression is the output format's: Parquet's (default snappy, with
	// --compression-level) or Arrow's (default none).
	cfg.Parquet.Compression = sinks.DefaultCompression
	switch f.format {
	case sinks.FormatArrow:
		if f.level != 0 {
			return cfg, usagef("--compression-level: Arrow output takes a codec only")
		}
		cfg.Arrow.Compression = f.compression
	case sinks.FormatCSV:
		if f.compression != "" || f.level != 0 {
			return cfg, usagef("--compression: CSV output is not compressed")
		}
	default:
		if f.compression != "" {
			cfg.Parquet.Compression = f.compression
		}
		cfg.Parquet.CompressionLevel = f.level
	}
	cfg.Parquet.Encoding, cfg.Parquet.Dictionary = sinks.EncodingAuto, true
	if !f.dictionary {
		cfg.Parquet.Encoding, cfg.Parquet.Dictionary = sinks.EncodingPlain, false
	}
	cfg.Parquet.AlignedIndexRuns = !f.indexRuns
	cfg.Parquet.RawDictionaryPricing = !f.priced
	if f.pageSize != "" {
		size, err := humanize.ParseBytes(f.pageSize)
		if err != nil || size == 0 || size > math.MaxInt32 {
			return cfg, usagef("--page-size %q: want a positive size such as 64KiB or 1MiB", f.pageSize)
		}
		cfg.Parquet.PageBufferSize = int(size)
	}
	return cfg, nil
}

// parseDelimiter reads --delimiter: one character, or "tab"; empty means
// the default.
func parseDelimiter(s string) (rune, error) {
	switch s {
	case "":
		return 0, nil
	case "tab", `\t`:
		return '\t', nil
	}
	r := []rune(s)
	if len(r) != 1 {
		return 0, usagef("--delimiter %q: want one character, or tab", s)
	}
	return r[0], nil
}

// printSummary writes the per-split table.
func printSummary(w io.Writer, out string, m *pipeline.Manifest) error {
	fmt.Fprintln(w, summaryLine(out, m))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "split\trows\tshare\tfiles\tbytes\t")
	for _, s := range m.Splits {
		share := 0.0
		if m.Rows > 0 {
			share = 100 * float64(s.Rows) / float64(m.Rows)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.2f%%\t%d\t%d\t\n", s.Name, s.Rows, share, len(s.Files), s.Bytes())
	}
	if m.Unassigned > 0 {
		fmt.Fprintf(tw, "(none)\t%d\t%.2f%%\t\t\t\n", m.Unassigned, 100*float64(m.Unassigned)/float64(m.Rows))
	}
	return tw.Flush()
}

// setMemoryLimit sets the Go runtime's soft memory limit to the job's
// heap budget (--memory or the default, less the reserve for the
// process's baseline, pipeline.MemoryReserve), unless the user set one
// with GOMEMLIMIT, and returns the job's OnBudget, which moves it to the
// budget the job settles on (the default grows to what a job needs). The
// engine sizes what it holds from the same heap budget
// (pipeline.JobOptions.MemoryLimit), so the live heap stays under it by
// design and the limit only keeps the collector from letting the heap
// idle at twice the live data. It is soft: should the live data exceed
// it, the process uses more rather than fail.
func setMemoryLimit(cfg pipeline.SplitConfig) func(bytes int64) {
	return pipeline.GoMemoryLimit(cfg.JobOptions)
}

// seedFlag is --seed. It remembers whether it was given, so that an empty
// --seed (say, from a shell variable that was never set) is refused rather
// than taken as no seed, which draws a fresh one.
type seedFlag struct {
	value string
	set   bool
}

func (s *seedFlag) String() string { return s.value }

// Set records the flag's value.
func (s *seedFlag) Set(v string) error {
	s.value, s.set = v, true
	return nil
}

// Type is the value's name in the help text.
func (s *seedFlag) Type() string { return "string" }

// checkWorkers checks a --workers value: 0 (the default, the number of
// CPUs) to pipeline.MaxWorkers.
func checkWorkers(n int) error {
	switch {
	case n < 0:
		return usagef("--workers must be positive, got %d", n)
	case n > pipeline.MaxWorkers:
		return usagef("--workers %d: at most %d (more workers than cores only cost memory)", n, pipeline.MaxWorkers)
	}
	return nil
}
