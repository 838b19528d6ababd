package splitter

import (
	"fmt"
	"slices"
)

// TimeSeriesOptions are the options of scikit-learn's TimeSeriesSplit
// beside the number of folds. The zero value is scikit-learn's default.
type TimeSeriesOptions struct {
	// Gap is the number of rows left out between each fold's train rows
	// and its test rows; 0 means none.
	Gap int64 `json:"gap,omitempty"`
	// MaxTrainSize caps each fold's train rows to the last MaxTrainSize
	// before its gap; 0 means no cap.
	MaxTrainSize int64 `json:"max_train_size,omitempty"`
	// TestSize is the number of test rows of every fold; 0 means
	// n // (k + 1), scikit-learn's default.
	TestSize int64 `json:"test_size,omitempty"`
}

// Validate reports a negative option, wrapping [ErrUsage].
func (o TimeSeriesOptions) Validate() error {
	switch {
	case o.Gap < 0:
		return fmt.Errorf("%w: --gap %d: want 0 or more rows", ErrUsage, o.Gap)
	case o.MaxTrainSize < 0:
		return fmt.Errorf("%w: --max-train-size %d: want a positive number of rows (0: no cap)", ErrUsage, o.MaxTrainSize)
	case o.TestSize < 0:
		return fmt.Errorf("%w: --test-size %d: want a positive number of rows (0: n // (k + 1))", ErrUsage, o.TestSize)
	}
	return nil
}

// Fold is one fold of a time-series split in ranks of the order (row
// index for row order): train rows [TrainStart, TrainEnd), test rows
// [TestStart, TestEnd).
type Fold struct {
	TrainStart int64 `json:"train_start"`
	TrainEnd   int64 `json:"train_end"`
	TestStart  int64 `json:"test_start"`
	TestEnd    int64 `json:"test_end"`
}

// TimeSeriesFolds returns the k folds scikit-learn 1.2's
// TimeSeriesSplit(n_splits=k, gap, max_train_size, test_size) gives for n
// rows (sklearn/model_selection/_split.py, TimeSeriesSplit.split): with
// test size t (o.TestSize, or n // (k+1)), fold j tests the ranks
// [n - (k-j)·t, n - (k-j-1)·t) and trains on the ranks before its test
// start less the gap, the last o.MaxTrainSize of them when that is set and
// smaller. It refuses, as scikit-learn does, k+1 > n and n - gap - k·t <= 0
// (errors wrap [ErrUsage]); the latter leaves every fold a train row.
func TimeSeriesFolds(n int64, k int, o TimeSeriesOptions) ([]Fold, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if k < 2 || k > MaxSplits {
		return nil, fmt.Errorf("%w: k = %d folds, want 2 to %d", ErrUsage, k, MaxSplits)
	}
	kk := int64(k)
	if kk+1 > n {
		return nil, fmt.Errorf("%w: %d time-series folds need at least %d rows (k + 1), got %d", ErrUsage, k, kk+1, n)
	}
	t := o.TestSize
	if t == 0 {
		t = n / (kk + 1)
	}
	// t <= n here, so k·t does not overflow unless t is huge: check first.
	if t > (n-o.Gap)/kk || n-o.Gap-kk*t <= 0 {
		return nil, fmt.Errorf("%w: too many folds (%d) for %d rows with test size %d and gap %d (scikit-learn: n - gap - k*test_size must be positive)", ErrUsage, k, n, t, o.Gap)
	}
	folds := make([]Fold, k)
	for j := range folds {
		start := n - (kk-int64(j))*t
		end := start - o.Gap
		f := Fold{TrainEnd: end, TestStart: start, TestEnd: start + t}
		if o.MaxTrainSize > 0 && o.MaxTrainSize < end {
			f.TrainStart = end - o.MaxTrainSize
		}
		folds[j] = f
	}
	return folds, nil
}

// FoldSegments cuts the ranks [0, n) of time-series folds into the
// segments between consecutive fold edges and says which outputs each
// segment's rows go to: output 2j is fold j's train rows and 2j+1 its test
// rows, the layout of kfold --materialize. It returns the segments' sizes,
// in order, and their outputs (nil for rows in no fold: before every train
// window, or in a gap only).
func FoldSegments(n int64, folds []Fold) (sizes []int64, outputs [][]int) {
	cuts := []int64{0, n}
	for _, f := range folds {
		cuts = append(cuts, f.TrainStart, f.TrainEnd, f.TestStart, f.TestEnd)
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	for s := 0; s+1 < len(cuts); s++ {
		lo, hi := cuts[s], cuts[s+1]
		var outs []int
		for j, f := range folds {
			if f.TrainStart <= lo && hi <= f.TrainEnd {
				outs = append(outs, 2*j)
			}
			if f.TestStart <= lo && hi <= f.TestEnd {
				outs = append(outs, 2*j+1)
			}
		}
		sizes = append(sizes, hi-lo)
		outputs = append(outputs, outs)
	}
	return sizes, outputs
}
