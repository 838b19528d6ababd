package main

import (
	"fmt"
	"strings"

	"github.com/splitdata/splitdata/pipeline"
)

// summaryLine is the first line of a job's summary, in the words of the
// command that ran it: a shuffle or a k-fold is not a split.
func summaryLine(out string, m *pipeline.Manifest) string {
	from := fmt.Sprintf("from %s into %s (seed %s, algorithm %d)", counted(len(m.Inputs), "input file"), out, m.Seed, m.Algorithm)
	switch m.Command {
	case "shuffle":
		return fmt.Sprintf("shuffled %s %s", counted(m.Rows, "row"), from)
	case "kfold":
		folds := len(m.Splits)
		if m.Options.Materialize {
			folds /= 2 // fold-j/train and fold-j/test
		}
		return fmt.Sprintf("wrote %d folds of %s %s", folds, counted(m.Rows, "row"), from)
	case "sample":
		var k int64
		for _, s := range m.Splits {
			k += s.Rows
		}
		return fmt.Sprintf("sampled %d of %s %s", k, counted(m.Rows, "row"), from)
	}
	return fmt.Sprintf("split %s %s", counted(m.Rows, "row"), from)
}

// counted is n and the noun, made plural unless n is 1: "1 input file",
// "3 input files", "2 record batches".
func counted[N int | int64](n N, noun string) string {
	switch {
	case n == 1:
	case strings.HasSuffix(noun, "ch"), strings.HasSuffix(noun, "s"):
		noun += "es"
	default:
		noun += "s"
	}
	return fmt.Sprintf("%d %s", n, noun)
}
