package pipeline

import (
	"fmt"
	"slices"
	"strings"

	"github.com/splitdata/splitdata/sinks"
	"github.com/splitdata/splitdata/sources"
	"github.com/splitdata/splitdata/splitter"
)

// Validate reports the first problem with the configuration, wrapping
// [ErrUsage].
func (c SplitConfig) Validate() error {
	if c.TrainTest != nil && len(c.Splits) > 0 {
		return fmt.Errorf("%w: --train-size sizes train and test itself: give no other split list", ErrUsage)
	}
	c = c.withDefaults()
	switch {
	case len(c.Inputs) == 0 && len(c.Sources) == 0:
		return fmt.Errorf("%w: no inputs", ErrUsage)
	case c.Out == "" && c.Output == nil:
		return fmt.Errorf("%w: no output directory", ErrUsage)
	case c.RowsPerFile < 0:
		return fmt.Errorf("%w: rows per file must be positive, got %d", ErrUsage, c.RowsPerFile)
	case c.RowGroupRows < 0:
		return fmt.Errorf("%w: row group rows must be positive, got %d", ErrUsage, c.RowGroupRows)
	case c.MemoryLimit < 0:
		return fmt.Errorf("%w: memory limit must be positive, got %d", ErrUsage, c.MemoryLimit)
	case c.ShuffleMemory < 0:
		return fmt.Errorf("%w: shuffle memory must be positive, got %d", ErrUsage, c.ShuffleMemory)
	case c.Workers < 0:
		return fmt.Errorf("%w: workers must be positive, got %d", ErrUsage, c.Workers)
	case c.Workers > MaxWorkers:
		return fmt.Errorf("%w: --workers %d: at most %d", ErrUsage, c.Workers, MaxWorkers)
	case len(c.Splits) > 255:
		return fmt.Errorf("%w: at most 255 splits, got %d", ErrUsage, len(c.Splits))
	}
	if err := splitter.ValidateSplits(c.Splits); err != nil {
		return err
	}
	if c.Format == sinks.FormatParquet {
		if err := checkRowGroupLimit(c.RowsPerFile, c.RowGroupRows); err != nil {
			return fmt.Errorf("%w: %w", ErrUsage, err)
		}
	}
	switch c.RatioBy {
	case "", RatioByGroups:
	case RatioByRows:
		if !c.grouped() {
			return fmt.Errorf("%w: --ratio-by rows needs --group", ErrUsage)
		}
	default:
		return fmt.Errorf("%w: --ratio-by %q: want groups or rows", ErrUsage, c.RatioBy)
	}
	if err := c.checkContent(); err != nil {
		return err
	}
	if c.grouped() {
		for _, s := range c.Splits {
			if s.Rows != 0 && c.RatioBy != RatioByRows && c.Stratify == "" {
				return fmt.Errorf("%w: --group splits take ratios, not row counts (split %q), unless --ratio-by rows", ErrUsage, s.Name)
			}
		}
		if c.IndexOnly {
			return fmt.Errorf("%w: --group and --index-only do not go together yet (the group column must be read)", ErrUsage)
		}
	}
	if c.Stratify != "" {
		switch {
		case c.Approx:
			return fmt.Errorf("%w: --stratify makes exact splits; it does not go with --approx", ErrUsage)
		case c.Group != "" && c.RatioBy == RatioByGroups:
			return fmt.Errorf("%w: --stratify with --group balances each class's rows; --ratio-by groups does not go with it", ErrUsage)
		case c.GroupByContent:
			return fmt.Errorf("%w: --stratify and --group-by-content together are not supported yet", ErrUsage)
		case c.Compat != "":
			return fmt.Errorf("%w: --compat %s cannot express --stratify: the library draws its own permutation", ErrUsage, c.Compat)
		}
	}
	if err := c.checkOrder(); err != nil {
		return err
	}
	if c.RowIndexColumn != "" && c.IndexOnly {
		return fmt.Errorf("%w: --row-index-column and --index-only do not go together", ErrUsage)
	}
	if c.Approx {
		for _, s := range c.Splits {
			if s.Rows != 0 {
				return fmt.Errorf("%w: approximate splits take ratios, not sizes (split %q)", ErrUsage, s.Name)
			}
		}
	}
	if err := c.Parquet.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if _, err := outputFormat(c); err != nil {
		return err
	}
	if err := c.CSV.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if err := c.JSONL.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if c.InputFormat != "" && !slices.Contains(sources.Formats(), c.InputFormat) {
		return fmt.Errorf("%w: unknown input format %q (known: %s)", ErrUsage, c.InputFormat, strings.Join(sources.Formats(), ", "))
	}
	return nil
}

// outputFormat returns the output format c names, with its options.
func outputFormat(c SplitConfig) (sinks.Format, error) {
	switch c.Format {
	case sinks.FormatParquet, "":
		return sinks.Parquet(c.Parquet), nil
	case sinks.FormatArrow:
		if err := c.Arrow.Validate(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUsage, err)
		}
		return sinks.Arrow(c.Arrow), nil
	case sinks.FormatCSV:
		if err := c.CSVOut.Validate(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUsage, err)
		}
		return sinks.CSV(c.CSVOut), nil
	case sinks.FormatJSONL:
		return sinks.JSONL(), nil
	}
	return nil, fmt.Errorf("%w: unknown output format %q (known: %s)", ErrUsage, c.Format, strings.Join(sinks.Formats(), ", "))
}

// checkRowGroupLimit reports whether files of rowsPerFile rows in row
// groups of rowGroupRows rows (both positive) can hold more row groups than
// a Parquet file may: checked before any row is read, whatever the input's
// size, so that the same options never fail late on a larger input.
func checkRowGroupLimit(rowsPerFile, rowGroupRows int64) error {
	groups := rowsPerFile / rowGroupRows
	if rowsPerFile%rowGroupRows != 0 {
		groups++
	}
	if groups <= MaxRowGroupsPerFile {
		return nil
	}
	minRows := rowsPerFile / MaxRowGroupsPerFile
	if rowsPerFile%MaxRowGroupsPerFile != 0 {
		minRows++
	}
	return fmt.Errorf("--row-group-rows %d with --rows-per-file %d makes files of up to %d row groups, and a Parquet file holds at most %d: raise --row-group-rows to at least %d or lower --rows-per-file to at most %d",
		rowGroupRows, rowsPerFile, groups, MaxRowGroupsPerFile, minRows, rowGroupRows*MaxRowGroupsPerFile)
}
