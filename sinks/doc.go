// Package sinks writes tabular output files for splitdata. It knows nothing
// about splits: it encodes rows into files whose bytes depend only on the rows
// and the options, never on timing or on how many goroutines did the work.
//
// Parquet output is made in two steps: a [RowGroupEncoder], safe for
// concurrent use, encodes rows into a self-contained [EncodedRowGroup] on
// any goroutine; a [ParquetFileWriter], used by one goroutine, appends
// encoded groups in order and writes the page index and footer. The bytes
// of a group do not depend on how its rows were handed over (how many per
// ReadRows call) nor on where it was encoded.
//
// Which column chunks get a dictionary is decided per row group from its
// first rows ([EncodingAuto], the default since splitdata 0.5.0; see
// [ParquetOptions.Encoding]); since splitdata 0.8.0 the dictionary must
// pay compressed as well as raw ([ParquetOptions.RawDictionaryPricing]
// keeps 0.5.0 to 0.7.0's raw rule). [EncodingPlain] writes the PLAIN bytes
// of splitdata 0.4 and earlier.
//
// Pages are encoded by parquet-go (see [ParquetOptions] for the fixed
// choices), or, for the top-level numeric, string and binary columns of
// batches, PLAIN or with a dictionary, by splitdata's own page writer with
// parquet-go's bytes, with
// these deliberate departures from parquet-go's own output:
// dictionary indexes with an RLE run wherever one pays, where parquet-go
// emits runs only for aligned groups of 8 (since splitdata 0.7.0; the
// pages of indexes parquet-go writes are re-encoded, and
// [ParquetOptions.AlignedIndexRuns] keeps parquet-go's), dictionary pages
// compressed by snappy's better encoder where the data pages take its
// fast one (since splitdata 0.8.0; parquet-go's are compressed again), no min/max statistics for columns whose order parquet-go gets wrong or
// the format leaves undefined (DECIMAL stored as FIXED_LEN_BYTE_ARRAY or
// BYTE_ARRAY, FLOAT16, INT96, INTERVAL) or whose bounds would be NaN, no
// min/max in the column chunk statistics or page headers of a BYTE_ARRAY
// chunk or page whose bounds exceed [MaxStatisticsBytes] (parquet-go
// copies long values whole), complete column indexes for
// FIXED_LEN_BYTE_ARRAY columns with null pages, and the INT32 physical type
// the schema states for columns of the NULL logical type in their column
// chunk metadata.
//
// The schema is taken as parquet-go models it, so what parquet-go does not
// model is not reproduced: logical types it does not know are written as
// their physical type (except FLOAT16, kept on a FIXED_LEN_BYTE_ARRAY(2)
// leaf whose type says so, as in the schemas of the sources package's
// Parquet inputs), legacy converted-type-only columns gain the equivalent
// logical type, and column-level key/value metadata, sorting columns and
// bloom filters of an input are not copied.
package sinks
