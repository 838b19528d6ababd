package pipeline

import (
	"cmp"
	"context"
	"fmt"

	"github.com/splitdata/splitdata/sources"
)

// FileReport describes one input file: what [Inspect] returns per file.
// Units are Parquet row groups, Arrow record batches or CSV chunks of
// 65536 records (fewer for long records: sources.TextUnitBytes);
// created_by, codecs and column sizes are Parquet's only.
type FileReport struct {
	Path      string               `json:"path"`
	Format    string               `json:"format"`
	Size      int64                `json:"size"`
	Rows      int64                `json:"rows"`
	RowGroups int                  `json:"row_groups"`
	CreatedBy string               `json:"created_by,omitempty"`
	Columns   []sources.ColumnInfo `json:"columns"`
	KeyValue  []sources.KeyValue   `json:"key_value_metadata"`
}

// Inspect describes the input files named by inputs (files, directories or
// globs, as for [Split], in any input format, opened with opts): rows,
// units, size and per column its type; for Parquet also the writer and
// per column its codecs and sizes, from the footer alone. A file that
// cannot be opened fails the call with an error naming it.
func Inspect(ctx context.Context, inputs []string, opts sources.Options) ([]FileReport, error) {
	return InspectWithMemory(ctx, inputs, opts, 0)
}

// InspectWithMemory is [Inspect] under a memory budget in bytes (0:
// DefaultMemoryLimit). Inspect holds one file's footer at a time; a
// Parquet file whose decoded footer takes more than half the heap budget
// (the budget less its reserve, see [MemoryReserve]) is refused, naming
// the file and the --memory that would do. (The footer's
// size is known only once it is walked, which sources.Open does before
// decoding it, capped at sources.MaxFooterMemory.)
func InspectWithMemory(ctx context.Context, inputs []string, opts sources.Options, memory int64) ([]FileReport, error) {
	if memory < 0 {
		return nil, fmt.Errorf("%w: memory limit must be positive, got %d", ErrUsage, memory)
	}
	paths, err := ResolveInputs(inputs, opts.Format)
	if err != nil {
		return nil, usageUnlessInput(err)
	}
	values := make([]Input, len(paths))
	for i, path := range paths {
		values[i] = fileInput(path)
	}
	return InspectInputs(ctx, values, opts, memory)
}

// InspectInputs is [InspectWithMemory] for inputs given as values (bucket
// objects, files of an fs.FS: see [Input]), reported in the order given
// and named by their names.
func InspectInputs(ctx context.Context, inputs []Input, opts sources.Options, memory int64) ([]FileReport, error) {
	if memory < 0 {
		return nil, fmt.Errorf("%w: memory limit must be positive, got %d", ErrUsage, memory)
	}
	memory = cmp.Or(memory, DefaultMemoryLimit)
	reports := make([]FileReport, 0, len(inputs))
	for i, v := range inputs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if v.open == nil {
			return nil, fmt.Errorf("%w: input %d is a zero Input", ErrUsage, i)
		}
		path := v.name
		o, err := v.open(opts)
		if err != nil {
			return nil, err
		}
		in := o.src
		closeIn := func() {
			_ = in.Close() // read only: a failed close loses nothing
			if o.closer != nil {
				_ = o.closer.Close()
			}
		}
		r := FileReport{
			Path:      path,
			Format:    formatName(in),
			Size:      in.Size(),
			Rows:      in.NumRows(),
			RowGroups: in.NumUnits(),
			Columns:   sources.SchemaColumns(in.Schema()),
			KeyValue:  in.KeyValueMetadata(),
		}
		if p, ok := in.(*sources.Parquet); ok {
			if fm := p.FooterMemory(); fm > heapBudget(memory)/2 {
				closeIn()
				return nil, fmt.Errorf("%w: %s: its footer takes about %s decoded, more than half of --memory %s (less its reserve): use --memory %d MiB or more",
					ErrTooLarge, path, sizeText(fm), sizeText(memory), memoryFor(2*fm)>>20+1)
			}
			r.CreatedBy, r.Columns = p.CreatedBy(), p.Columns()
		}
		reports = append(reports, r)
		closeIn()
	}
	return reports, nil
}

// formatName is the input format of an opened source.
func formatName(in sources.FileSource) string {
	switch in.(type) {
	case *sources.Parquet:
		return sources.FormatParquet
	case *sources.Arrow:
		return sources.FormatArrow
	case *sources.CSV:
		return sources.FormatCSV
	case *sources.JSONL:
		return sources.FormatJSONL
	}
	return ""
}
