// Package sources reads tabular input files for splitdata. It knows nothing
// about splits: it reports row counts and schemas from file footers and
// streams the rows of one unit (a row group) at a time.
//
// Quick start (the package Example runs it):
//
//	src, err := sources.Open("data/part-0.parquet", sources.Options{})
//	// or, for data that is not a local file (an fs.FS file, a bucket object):
//	src, err := sources.OpenReaderAt(name, readerAt, size, sources.Options{})
//	defer src.Close()
//	for u := range src.NumUnits() {
//		err := src.ReadUnit(ctx, u, 1024, func(rows []parquet.Row) error { ... })
//	}
//
// Parquet, Arrow IPC, CSV and JSON Lines inputs are all a [FileSource];
// bad input is an [*InputError] naming the file and where in it.
package sources
