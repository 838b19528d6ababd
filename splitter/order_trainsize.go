package splitter

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// TrainTest is scikit-learn's train_size and test_size of
// train_test_split, each a fraction in (0, 1) or a row count, or absent
// (zero). Its sizes depend on n: [TrainTest.Splits] gives the split list,
// two counts, once n is known.
type TrainTest struct {
	TrainRatio float64 `json:"train_ratio,omitempty"`
	TrainRows  int64   `json:"train_rows,omitempty"`
	TestRatio  float64 `json:"test_ratio,omitempty"`
	TestRows   int64   `json:"test_rows,omitempty"`
}

// ParseTrainTest parses --train-size and --test-size as scikit-learn reads
// train_size and test_size: digits are a row count (at least 1), another
// decimal number a fraction strictly between 0 and 1; an empty text is
// absent. Two fractions must sum to at most 1. Errors wrap [ErrUsage].
func ParseTrainTest(train, test string) (*TrainTest, error) {
	var tt TrainTest
	var err error
	if tt.TrainRatio, tt.TrainRows, err = parseSize("--train-size", train); err != nil {
		return nil, err
	}
	if tt.TestRatio, tt.TestRows, err = parseSize("--test-size", test); err != nil {
		return nil, err
	}
	if tt.TrainRatio > 0 && tt.TestRatio > 0 && tt.TrainRatio+tt.TestRatio > 1 {
		return nil, fmt.Errorf("%w: --train-size %s and --test-size %s: the fractions sum to more than 1", ErrUsage, train, test)
	}
	if tt == (TrainTest{}) {
		return nil, fmt.Errorf("%w: give --train-size or --test-size", ErrUsage)
	}
	return &tt, nil
}

// parseSize parses one size of [ParseTrainTest].
func parseSize(flag, s string) (float64, int64, error) {
	v := strings.TrimSpace(s)
	switch {
	case v == "":
		return 0, 0, nil
	case isDigits(v):
		n, err := parseCount(v)
		if err != nil {
			return 0, 0, fmt.Errorf("%w: %s %q: %w", ErrUsage, flag, s, err)
		}
		return 0, n, nil
	case isDecimal(v):
		p, err := strconv.ParseFloat(v, 64)
		if err == nil && p > 0 && p < 1 {
			return p, 0, nil
		}
	}
	return 0, 0, fmt.Errorf("%w: %s %q: want a fraction strictly between 0 and 1 or a row count", ErrUsage, flag, s)
}

// Splits returns the two splits train and test as row counts for n rows,
// sized as scikit-learn 1.2's _validate_shuffle_split sizes them: a test
// fraction t gives ceil(t·n) rows, a train fraction p floor(p·n) (float64
// products, as Python computes them), a count itself; an absent size is
// the rest of n. Rows beyond both sizes are in no split. Errors wrap
// [ErrUsage]: a count of n or more, sizes summing to more than n, or an
// empty train set, which scikit-learn refuses too.
func (tt TrainTest) Splits(n int64) ([]Split, error) {
	var train, test int64
	switch {
	case tt.TestRows > 0:
		if tt.TestRows >= n {
			return nil, fmt.Errorf("%w: --test-size %d: must be below the %d rows", ErrUsage, tt.TestRows, n)
		}
		test = tt.TestRows
	case tt.TestRatio > 0:
		test = ceilTimes(n, tt.TestRatio)
	}
	switch {
	case tt.TrainRows > 0:
		if tt.TrainRows >= n {
			return nil, fmt.Errorf("%w: --train-size %d: must be below the %d rows", ErrUsage, tt.TrainRows, n)
		}
		train = tt.TrainRows
	case tt.TrainRatio > 0:
		train = clampRows(math.Floor(float64(n)*tt.TrainRatio), n)
	default:
		train = n - test
	}
	if tt.TestRows == 0 && tt.TestRatio == 0 {
		test = n - train
	}
	if train > n-test {
		return nil, fmt.Errorf("%w: train %d and test %d rows: more than the %d rows", ErrUsage, train, test, n)
	}
	if train == 0 || test == 0 {
		return nil, fmt.Errorf("%w: with %d rows, train %d and test %d rows: an empty split (scikit-learn refuses it too)", ErrUsage, n, train, test)
	}
	return []Split{{Name: "train", Rows: train}, {Name: "test", Rows: test}}, nil
}
