package pipeline

import (
	"github.com/parquet-go/parquet-go"
	"github.com/splitdata/splitdata/sinks"
	"github.com/splitdata/splitdata/sources"
)

// manifestOptions are the options of cfg that the manifest records.
func manifestOptions(cfg SplitConfig, jb job) ManifestOptions {
	m := ManifestOptions{
		Splits:         cfg.Splits,
		Approx:         cfg.Approx,
		Group:          cfg.Group,
		GroupByContent: cfg.GroupByContent,
		ContentColumns: cfg.ContentColumns,
		Shuffle:        cfg.Shuffle,
		Compat:         cfg.Compat,
		Stratify:       cfg.Stratify,
		RatioBy:        cfg.RatioBy,
		OrderBy:        cfg.OrderBy,
		Nulls:          cfg.Nulls,
		TimeSeries:     jb.timeSeries,
		Repeats:        jb.repeats,
		Replace:        jb.replace,
		Materialize:    jb.materialize,
		Epoch:          jb.epoch,
		IndexOnly:      cfg.IndexOnly,
		RowIndexColumn: cfg.RowIndexColumn,
		RowsPerFile:    cfg.RowsPerFile,
		RowGroupRows:   cfg.RowGroupRows,
		InputFormat:    cfg.InputFormat,
		Format:         cfg.Format,
		Parquet:        cfg.Parquet,
	}
	if cfg.CSV != (sources.CSVOptions{}) {
		m.InputCSV = &cfg.CSV
	}
	if cfg.JSONL != (sources.JSONLOptions{}) {
		m.InputJSONL = &cfg.JSONL
	}
	switch cfg.Format {
	case sinks.FormatCSV:
		m.CSV = &cfg.CSVOut
	case sinks.FormatArrow:
		m.Arrow = &cfg.Arrow
	}
	return m
}

// IndexSchema is the schema of --index-only outputs: the global row index
// of each row of a split, as one required int64 column named "row".
var IndexSchema = parquet.NewSchema("index", parquet.Group{"row": parquet.Leaf(parquet.Int64Type)})
