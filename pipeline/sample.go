package pipeline

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/splitter"
)

// flatCommand reports whether a command's single output has its files
// directly in the output directory.
func flatCommand(command string) bool { return command == "shuffle" || command == "sample" }

// SampleConfig describes a sample job: Rows or Fraction (exactly one) says
// how many rows to draw. The other fields are as for [SplitConfig].
type SampleConfig struct {
	Inputs []string  `json:"inputs"`
	Out    string    `json:"out"`
	Seed   prng.Seed `json:"seed"`
	// Rows is the number of rows to draw, at most the number of input rows.
	// Exactly one of Rows and Fraction is set.
	Rows int64 `json:"rows,omitempty"`
	// Fraction, in (0, 1], draws ceil(n*Fraction) rows (the float64 product
	// rounded up, as scikit-learn sizes a fractional test set).
	Fraction float64 `json:"fraction,omitempty"`
	// Shuffle writes the sample in canonical order instead of input order;
	// IndexOnly writes the sampled rows' global indices instead of the rows.
	Shuffle   bool `json:"shuffle"`
	IndexOnly bool `json:"index_only"`
	// Stratify keeps every class of a column in proportion; see
	// [SplitConfig.Stratify].
	Stratify string `json:"stratify,omitempty"`
	// Replace draws a bootstrap sample instead: Rows (or ceil(n*Fraction))
	// draws with replacement, each row written as many times as it was
	// drawn, in row order (docs/algorithm.md section 15). The draws are
	// held in memory, 8 bytes each. Rows may then exceed the input rows.
	Replace bool `json:"replace,omitempty"`
	// Group, or GroupByContent with ContentColumns, draws whole groups
	// (see [SplitConfig.Group] and [SplitConfig.GroupByContent]): the
	// groups whose first row, in (group key, row) order, ranks below K,
	// as a split balanced by rows takes them (docs/algorithm.md section
	// 14), so the sample holds about K rows. Not with Replace.
	Group          string `json:"group,omitempty"`
	GroupByContent bool   `json:"group_by_content,omitempty"`
	ContentColumns string `json:"content_columns,omitempty"`
	// OrderBy takes the first rows of a column's order (ties by row
	// index), or of row order with [OrderByRow], instead of canonical
	// order: the head of the data by time. Nulls places the column's nulls.
	// See [SplitConfig.OrderBy]; not with Replace.
	OrderBy string `json:"order_by,omitempty"`
	Nulls   string `json:"nulls,omitempty"`
	// JobOptions are as for [SplitConfig].
	JobOptions
}

// SampleName is the name of a sample's single output in its manifest.
const SampleName = "sample"

// Sample draws a uniform sample without replacement: the first K rows of
// canonical order (docs/algorithm.md), K from Rows or Fraction. It reads
// the data once, with memory independent of the number of rows, and writes
// the sample to cfg.Out/part-NNNNN.parquet and cfg.Out/manifest.json. The
// sample is a pure function of the seed and the rows; the bytes do not
// depend on workers or chunking.
func Sample(ctx context.Context, cfg SampleConfig) (*Manifest, error) {
	if err := cfg.checkSize(); err != nil {
		return nil, err
	}
	if err := cfg.checkOrder(); err != nil {
		return nil, err
	}
	return run(ctx, cfg.split(), job{command: "sample", flat: true, resize: sampleSizes(cfg.Fraction, cfg.Replace), replace: cfg.Replace})
}

// sampleSizes sizes a sample by fraction f once n is known: ceil(n*f) rows
// (float64 product, at most n). Without a fraction the count stands.
func sampleSizes(f float64, replace bool) func([]splitter.Split, int64) ([]splitter.Split, error) {
	return func(splits []splitter.Split, n int64) ([]splitter.Split, error) {
		if f == 0 {
			if !replace && splits[0].Rows > n {
				return nil, fmt.Errorf("%w: a sample of %d rows from %d rows needs --replace", ErrUsage, splits[0].Rows, n)
			}
			return splits, nil
		}
		k := min(int64(math.Ceil(float64(n)*f)), n)
		if k == n && !replace {
			k = -1 // every row (also none, for an empty input): the "rest" split
		}
		return []splitter.Split{{Name: splits[0].Name, Rows: k}}, nil
	}
}

// bootstrap is a bootstrap sample's draws: sorted global row indices, a
// row drawn c times appearing c times.
type bootstrap []int64

// place assigns the rows drawn at least once to split 0, the others to none.
func (b bootstrap) place(keys []uint64, start int64, ids []uint8) error {
	for k := range ids {
		if b.count(start+int64(k)) > 0 {
			ids[k] = 0
		} else {
			ids[k] = 1
		}
	}
	return nil
}

// count is the number of draws of row i.
func (b bootstrap) count(i int64) int {
	lo, _ := slices.BinarySearch(b, i)
	hi, _ := slices.BinarySearch(b[lo:], i+1)
	return hi
}

// distinct is the number of rows drawn at least once.
func (b bootstrap) distinct() int64 {
	var d int64
	for j := range b {
		if j == 0 || b[j] != b[j-1] {
			d++
		}
	}
	return d
}
