package main

import (
	"fmt"

	"github.com/splitdata/splitdata/pipeline"
)

// summaryLine is the first line of a job's summary, in the words of the
// command that ran it: a shuffle or a k-fold is not a split.
func summaryLine(out string, m *pipeline.Manifest) string {
	from := fmt.Sprintf("from %d input files into %s (seed %s, algorithm %d)", len(m.Inputs), out, m.Seed, m.Algorithm)
	switch m.Command {
	case "shuffle":
		return fmt.Sprintf("shuffled %d rows %s", m.Rows, from)
	case "kfold":
		folds := len(m.Splits)
		if m.Options.Materialize {
			folds /= 2 // fold-j/train and fold-j/test
		}
		return fmt.Sprintf("wrote %d folds of %d rows %s", folds, m.Rows, from)
	case "sample":
		var k int64
		for _, s := range m.Splits {
			k += s.Rows
		}
		return fmt.Sprintf("sampled %d of %d rows %s", k, m.Rows, from)
	}
	return fmt.Sprintf("split %d rows %s", m.Rows, from)
}
