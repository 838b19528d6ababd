// Package report computes what a person checks after a split (per-split
// sizes, per-column summaries, drift between splits, label balance and
// leakage) in one streaming pass over an output directory, and renders
// it as one self-contained HTML page, as JSON, and as a Hugging Face
// dataset card.
//
// [Compute] reads an output's files, Parquet as columnar batches, W
// units at a time, each into accumulators of its own merged in file and
// unit order. An [Attachment] computes the same figures inside a run
// (split --report): it is the job's [pipeline.Observer], summarizing
// each row group on the goroutine that encodes it and merging it once
// written, in the same order, so the page is the same byte for byte.
//
// Memory does not grow with the number of rows: numbers are summarized
// by a quantile sketch ([Sketch]) with a documented rank error, strings
// and booleans by exact counts up to [MaxExactValues] distinct values
// (then by a space-saving sketch) and a HyperLogLog++ distinct count;
// duplicate rows and groups found in more than one split are counted
// exactly by hashing every row and grouping the hashes through files
// partitioned by hash ([leakFinder]) when they do not fit in the budget;
// rows are hashed by a fast hash first, and only those sharing one are
// read again and compared by SHA-256 ([verifiedRuns]).
package report
