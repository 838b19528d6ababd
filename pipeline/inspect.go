package pipeline

import (
	"context"
	"fmt"

	"github.com/splitdata/splitdata/sources"
)

// FileReport describes one Parquet file: what [Inspect] returns per file.
type FileReport struct {
	Path      string               `json:"path"`
	Size      int64                `json:"size"`
	Rows      int64                `json:"rows"`
	RowGroups int                  `json:"row_groups"`
	CreatedBy string               `json:"created_by"`
	Columns   []sources.ColumnInfo `json:"columns"`
	KeyValue  []sources.KeyValue   `json:"key_value_metadata"`
}

// Inspect reads the footers of the Parquet files named by inputs (files,
// directories or globs, as for [Split]) and describes each: rows, row
// groups, size, writer, and per column its type, codecs and sizes. Only
// footers are read. A file that cannot be opened fails the call with an
// error naming it.
func Inspect(ctx context.Context, inputs []string) ([]FileReport, error) {
	paths, err := ResolveInputs(inputs, sources.FormatParquet)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	reports := make([]FileReport, 0, len(paths))
	for _, path := range paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p, err := sources.OpenParquetFile(path)
		if err != nil {
			return nil, err
		}
		reports = append(reports, FileReport{
			Path:      path,
			Size:      p.Size(),
			Rows:      p.NumRows(),
			RowGroups: p.NumRowGroups(),
			CreatedBy: p.CreatedBy(),
			Columns:   p.Columns(),
			KeyValue:  p.KeyValueMetadata(),
		})
		_ = p.Close() // read only: a failed close loses nothing
	}
	return reports, nil
}
