package main

import (
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/splitter"
)

// orderFlags are the flags of time-ordered splits and the spellings of
// scikit-learn users: --order-by, --nulls, --random-state, --train-size,
// and --shuffle=false.
type orderFlags struct {
	orderBy     string
	nulls       string
	randomState string
	trainSize   string
	// shuffleSet says --shuffle was given (true or false), set by the
	// command before it runs.
	shuffleSet bool
	// note is what the mapping of --shuffle=false tells the user.
	note string
}

// kfoldOrderFlags are kfold's flags of time-series and repeated folds.
type kfoldOrderFlags struct {
	timeSeries   bool
	gap          int64
	maxTrainSize int64
	testSize     int64
	repeats      int
}

// addOrderFlags registers --order-by and --nulls. what names what is cut
// ("splits"), and first says where the first rows of the order go.
func (f *splitFlags) addOrderFlags(fl *pflag.FlagSet, what, first string) {
	fl.StringVar(&f.order.orderBy, "order-by", "", "cut the "+what+" from the order of this column's values (integer, float, date or timestamp; ties by row index) instead of at random: "+first+"; \"row\": input order, scikit-learn's shuffle=False (8 bytes of memory per row for a column)")
	fl.StringVar(&f.order.nulls, "nulls", "", "with --order-by COL: where nulls go in the order, first or last (default last; NaN goes after +Inf, before nulls last)")
}

// addSklearnFlags registers the flags of every engine command that
// scikit-learn users type: --random-state.
func (f *splitFlags) addSklearnFlags(fl *pflag.FlagSet) {
	fl.StringVar(&f.order.randomState, "random-state", "", "scikit-learn's name for --seed: a non-negative integer (not with --seed)")
}

// addTrainSizeFlag registers split's --train-size.
func (f *splitFlags) addTrainSizeFlag(fl *pflag.FlagSet) {
	fl.StringVar(&f.order.trainSize, "train-size", "", "train share (0 < p < 1) or row count, as scikit-learn's train_size: alone, test gets the rest; with --test-size, rows beyond both go nowhere")
}

// addKFoldOrderFlags registers kfold's --time-series, --gap,
// --max-train-size, --test-size and --repeats.
func addKFoldOrderFlags(fl *pflag.FlagSet, kf *kfoldOrderFlags) {
	fl.BoolVar(&kf.timeSeries, "time-series", false, "scikit-learn's TimeSeriesSplit: fold-j/train (every row before fold j's test rows, less --gap) and fold-j/test, in the order of --order-by (default: row order)")
	fl.Int64Var(&kf.gap, "gap", 0, "with --time-series: rows left out between each fold's train and test rows")
	fl.Int64Var(&kf.maxTrainSize, "max-train-size", 0, "with --time-series: at most this many train rows per fold, the last before the gap (0: no cap)")
	fl.Int64Var(&kf.testSize, "test-size", 0, "with --time-series: test rows per fold (0: n // (k + 1), scikit-learn's default)")
	fl.IntVar(&kf.repeats, "repeats", 0, "write the K folds this many times, as scikit-learn's RepeatedKFold, each repeat from its own keys (the master generator jumped r times), in DIR/repeat-r/")
}

// apply sets cfg's time-series and repeat options.
func (kf *kfoldOrderFlags) apply(cfg *pipeline.KFoldConfig) {
	cfg.TimeSeries = kf.timeSeries
	cfg.TimeSeriesOptions = splitter.TimeSeriesOptions{Gap: kf.gap, MaxTrainSize: kf.maxTrainSize, TestSize: kf.testSize}
	cfg.Repeats = kf.repeats
}

// orderConfig checks the order flags and returns --order-by and --nulls,
// with --shuffle=false mapped to --order-by row (and a note for the user).
func (f *splitFlags) orderConfig() (orderBy, nulls string, err error) {
	orderBy, nulls = f.order.orderBy, f.order.nulls
	if f.order.shuffleSet && !f.shuffle && orderBy == "" {
		for _, o := range []struct{ name, value string }{{"--stratify", f.stratify}, {"--group", f.group}, {"--compat", f.compat}} {
			if o.value != "" {
				return "", "", usagef("--shuffle=false splits in input order (--order-by row, scikit-learn's shuffle=False), which does not go with %s: leave one out", o.name)
			}
		}
		if f.approx {
			return "", "", usagef("--shuffle=false splits in input order (--order-by row, scikit-learn's shuffle=False), with exact sizes: leave out --approx")
		}
		orderBy = pipeline.OrderByRow
		f.order.note = "--shuffle=false: splitting in input order (--order-by row), as scikit-learn's shuffle=False does; splitdata's own --shuffle only orders the rows inside each split"
	}
	return orderBy, nulls, nil
}

// applyRandomState makes --random-state the seed: an integer only, and
// not together with --seed.
func (f *splitFlags) applyRandomState() error {
	rs := f.order.randomState
	if rs == "" {
		return nil
	}
	if f.seed.set {
		return usagef("give --seed or --random-state, not both: --random-state is scikit-learn's name for the seed")
	}
	if !isDecimalInt(rs) {
		return usagef("--random-state %q: want a non-negative integer, as scikit-learn's random_state (text seeds go to --seed)", rs)
	}
	f.seed = seedFlag{value: rs, set: true}
	return nil
}

// isDecimalInt reports whether s is one or more ASCII digits.
func isDecimalInt(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// trainTestSplits returns the split list of --train-size (with --test-size,
// if given) as scikit-learn's train_test_split sizes it; nil without
// --train-size.
func (f *splitFlags) trainTestSplits() (*splitter.TrainTest, error) {
	if f.order.trainSize == "" {
		return nil, nil
	}
	if f.ratios != "" || f.sizes != "" {
		return nil, usagef("--train-size goes with --test-size only, not with --ratios or --sizes")
	}
	tt, err := splitter.ParseTrainTest(f.order.trainSize, f.testSize)
	if err != nil {
		return nil, usageError{err}
	}
	return tt, nil
}

// shuffleValues rewrites "--shuffle false" and "--shuffle true" (any
// case), as scikit-learn users type them, into "--shuffle=false" and
// "--shuffle=true", so that the value is not read as an input path. Only
// the tokens before a "--" are looked at.
func shuffleValues(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if a == "--shuffle" && i+1 < len(args) {
			if v, err := strconv.ParseBool(strings.ToLower(args[i+1])); err == nil && isBoolWord(args[i+1]) {
				out = append(out, "--shuffle="+strconv.FormatBool(v))
				i++
				continue
			}
		}
		out = append(out, a)
	}
	return out
}

// isBoolWord reports whether s is true or false in any case (not 0, 1, t
// or f, which could well be file names).
func isBoolWord(s string) bool {
	switch strings.ToLower(s) {
	case "true", "false":
		return true
	}
	return false
}
