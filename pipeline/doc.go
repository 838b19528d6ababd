// Package pipeline wires sources, keys, assignment and sinks into the
// splitdata jobs. It owns the goroutines, the memory bounds, the ordering of
// outputs and the atomic commit of an output directory.
//
// Quick start (the package Example runs it):
//
//	splits, err := splitter.ParseRatios("train=0.8,valid=0.1,test=0.1")
//	// Files by path (files, directories, globs) into a directory:
//	m, err := pipeline.Split(ctx, pipeline.SplitConfig{Inputs: []string{"data/"}, Out: "splits", Seed: "42", Splits: splits})
//	// Inputs as values: files of an fs.FS, io.ReaderAt data, your own sources:
//	inputs, err := pipeline.FSInputs(fsys, "data/*.parquet")
//	m, err = pipeline.Split(ctx, pipeline.SplitConfig{Out: "splits", Seed: "42", Splits: splits,
//		JobOptions: pipeline.JobOptions{Sources: inputs}})
//	// A stream of Arrow records, in constant memory (exact sizes need the count):
//	for b, err := range pipeline.SplitStream(ctx, reader, pipeline.StreamConfig{Seed: "42", Splits: splits, Rows: n}) {
//		// write b.Record (borrowed) to split b.Name's sink
//	}
//
// Every config ([SplitConfig], [SampleConfig], [KFoldConfig],
// [ShuffleConfig], [StreamConfig], [RecordsConfig], [ShardConfig],
// [MergeConfig]) takes its zero fields as documented defaults, has
// Validate and JSON tags; seeds are [prng.Seed]. Set
// JobOptions.OnBudget to [GoMemoryLimit] for the command line's memory
// bounds.
package pipeline
