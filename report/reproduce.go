package report

import (
	"cmp"
	"strconv"
	"strings"

	"github.com/splitdata/splitdata/pipeline"
)

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=,:@+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// reproduce returns the command line that rebuilds m's output. CSV and
// JSON Lines reading options that differ from the defaults are not
// spelled out (they are in the manifest).
func reproduce(m *pipeline.Manifest, opts Options) string {
	o := m.Options
	args := []string{"splitdata", m.Command}
	for _, in := range m.Inputs {
		args = append(args, shellQuote(in.Path))
	}
	out := opts.Out
	if out == "" {
		out = opts.Dir
	}
	args = append(args, "--out", shellQuote(out))
	seed := m.Seed
	if m.SeedText != "" {
		seed = m.SeedText
	}
	args = append(args, "--seed", shellQuote(seed))
	switch m.Command {
	case "split":
		args = append(args, splitList(o)...)
	case "kfold":
		args = append(args, "--k", strconv.Itoa(len(o.Splits)))
		if o.Materialize {
			args = append(args, "--materialize")
		}
	case "sample":
		var rows int64
		for _, s := range m.Splits {
			rows += s.Rows
		}
		args = append(args, "--rows", strconv.FormatInt(rows, 10))
		if o.Replace {
			args = append(args, "--replace")
		}
	case "shuffle":
		if o.Epoch != 0 {
			args = append(args, "--epoch", strconv.FormatUint(o.Epoch, 10))
		}
	}
	flag := func(name, v string) {
		if v != "" {
			args = append(args, name, shellQuote(v))
		}
	}
	if o.Approx {
		args = append(args, "--approx")
	}
	flag("--group", o.Group)
	flag("--ratio-by", o.RatioBy)
	flag("--stratify", o.Stratify)
	flag("--compat", string(o.Compat))
	if o.Shuffle && m.Command != "shuffle" {
		args = append(args, "--shuffle")
	}
	if o.IndexOnly {
		args = append(args, "--index-only")
	}
	flag("--row-index-column", o.RowIndexColumn)
	if o.RowsPerFile != pipeline.DefaultRowsPerFile {
		args = append(args, "--rows-per-file", strconv.FormatInt(o.RowsPerFile, 10))
	}
	if o.RowGroupRows != pipeline.DefaultRowGroupRows {
		args = append(args, "--row-group-rows", strconv.FormatInt(o.RowGroupRows, 10))
	}
	flag("--input-format", o.InputFormat)
	if o.Format != "parquet" {
		args = append(args, "--format", o.Format)
	}
	switch o.Format {
	case "parquet":
		codec := cmp.Or(o.Parquet.Compression, "snappy")
		if codec != "snappy" {
			flag("--compression", codec)
		}
		if codec == "snappy" && o.Parquet.CompressionLevel > 1 || codec != "snappy" && o.Parquet.CompressionLevel > 0 {
			args = append(args, "--compression-level", strconv.Itoa(o.Parquet.CompressionLevel))
		}
		if o.Parquet.Encoding == "plain" {
			args = append(args, "--dictionary=false")
		}
		if o.Parquet.AlignedIndexRuns {
			args = append(args, "--index-runs=false")
		}
		if o.Parquet.RawDictionaryPricing {
			args = append(args, "--compressed-pricing=false")
		}
	case "arrow":
		if o.Arrow != nil {
			flag("--compression", o.Arrow.Compression)
		}
	}
	if opts.reportFlag || hasExtra(m, HTMLName) {
		args = append(args, "--report")
	}
	if opts.cardFlag || hasExtra(m, CardName) {
		args = append(args, "--card")
	}
	return strings.Join(args, " ")
}

// splitList spells a split's list as --ratios, --sizes or --test-size.
func splitList(o pipeline.ManifestOptions) []string {
	var parts []string
	rest := false
	counts := false
	for _, s := range o.Splits {
		switch {
		case s.Rows == -1:
			rest = true
		case s.Rows > 0:
			counts = true
			parts = append(parts, s.Name+"="+strconv.FormatInt(s.Rows, 10))
		default:
			parts = append(parts, s.Name+"="+strconv.FormatFloat(s.Ratio, 'g', -1, 64))
		}
	}
	switch {
	case rest && len(o.Splits) == 2:
		return []string{"--test-size", strconv.FormatInt(o.Splits[1].Rows, 10)}
	case counts:
		return []string{"--sizes", strings.Join(parts, ",")}
	}
	return []string{"--ratios", strings.Join(parts, ",")}
}

// hasExtra reports whether the manifest lists a file beside the splits.
func hasExtra(m *pipeline.Manifest, name string) bool {
	for _, e := range m.Extras {
		if e.Path == name {
			return true
		}
	}
	return false
}
