package pipeline

import (
	"context"

	"github.com/splitdata/splitdata/sources"
)

// FileReport describes one input file: what [Inspect] returns per file.
// Units are Parquet row groups, Arrow record batches or CSV chunks of
// 65536 records; created_by, codecs and column sizes are Parquet's only.
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
	paths, err := ResolveInputs(inputs, opts.Format)
	if err != nil {
		return nil, usageUnlessInput(err)
	}
	reports := make([]FileReport, 0, len(paths))
	for _, path := range paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		in, err := sources.Open(path, opts)
		if err != nil {
			return nil, err
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
			r.CreatedBy, r.Columns = p.CreatedBy(), p.Columns()
		}
		reports = append(reports, r)
		_ = in.Close() // read only: a failed close loses nothing
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
