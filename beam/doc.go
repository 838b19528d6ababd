// Package splitbeam runs splitdata inside Apache Beam pipelines (Go SDK),
// on any Beam runner: Prism locally, Dataflow, Flink or Spark.
//
// [Split] splits a PCollection of rows by a key field, exactly as
// `splitdata split --group` does: a row's split depends only on the seed
// and its key. [SplitFiles] splits files as `splitdata split` does, run
// as a plan made on the launcher, shards in a DoFn and a merge, and writes
// the same bytes as one machine would.
//
// The package lives in its own module, so that the splitdata module does
// not depend on Beam. Its import path ends in beam; its name is splitbeam,
// which keeps it apart from the Beam SDK's package beam.
package splitbeam
