package splitter

import (
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strings"
	"unicode/utf8"

	"github.com/splitdata/splitdata/prng"
)

// CompatMode names a Python library whose split, shuffle or k-fold order a
// compatibility mode reproduces exactly; see docs/compat.md. Compatibility
// modes replace algorithm version 1: rows are ordered by the library's own
// random permutation of 0..n-1, held in memory (4 bytes per row).
type CompatMode string

// The compatibility modes.
const (
	// CompatSklearn is scikit-learn: train_test_split(np.arange(n),
	// test_size=..., train_size=..., random_state=seed, shuffle=True),
	// sklearn.utils.shuffle and KFold(k, shuffle=True, random_state=seed).
	CompatSklearn CompatMode = "sklearn"
	// CompatHF is Hugging Face datasets: Dataset.train_test_split(...,
	// seed=seed) and Dataset.shuffle(seed=seed).
	CompatHF CompatMode = "hf"
	// CompatTorch is PyTorch: torch.utils.data.random_split with
	// torch.Generator().manual_seed(seed), and torch.randperm on CPU.
	CompatTorch CompatMode = "torch"
	// CompatNumpyLegacy is np.random.seed(seed); np.random.permutation(n).
	CompatNumpyLegacy CompatMode = "numpy-legacy"
	// CompatPython is random.seed(seed); random.shuffle(list(range(n))).
	CompatPython CompatMode = "python"
)

// compatModes lists the modes in the order error messages name them.
var compatModes = []CompatMode{CompatSklearn, CompatHF, CompatTorch, CompatNumpyLegacy, CompatPython}

// MaxCompatRows is one more than the largest row count a compatibility mode
// takes: row numbers are held as uint32.
const MaxCompatRows = 1 << 32

// ParseCompatMode parses the value of --compat: one of sklearn, hf, torch,
// numpy-legacy and python, exactly. Errors wrap [ErrUsage].
func ParseCompatMode(s string) (CompatMode, error) {
	for _, m := range compatModes {
		if s == string(m) {
			return m, nil
		}
	}
	names := make([]string, len(compatModes))
	for i, m := range compatModes {
		names[i] = string(m)
	}
	return "", fmt.Errorf("%w: unknown compat mode %q (want one of %s)", ErrUsage, s, strings.Join(names, ", "))
}

// Range is the half-open interval [Start, End) of positions in a
// [CompatOrder]'s permutation.
type Range struct {
	Start int64 `json:"start"`
	End   int64 `json:"end"`
}

// Len returns End - Start.
func (r Range) Len() int64 { return r.End - r.Start }

// CompatOrder is the rows of each part in the order the Python code returns
// them: part j (split j of the split list, or fold j) is
// Perm[Parts[j].Start:Parts[j].End]. Perm is a permutation of 0..n-1; rows
// in no part are in no split. Parts never overlap but need not follow each
// other in order (scikit-learn's test set comes first in its permutation).
type CompatOrder struct {
	Perm  []uint32
	Parts []Range
}

// CompatSplit returns the split of n rows that the library of mode makes for
// the split list and seed text (see docs/compat.md for the Python line each
// mode reproduces):
//
//   - sklearn and hf take a list of two splits, [train, test]. Ratios are
//     test_size = the test ratio (train is the rest); counts are train_size
//     and test_size, with -1 (the rest) as None. The library's own size
//     rules and checks apply; the permutation is RandomState(seed) for
//     sklearn and default_rng(seed) for hf; test is its first n_test rows
//     and train the next n_train.
//   - torch takes any list: ratios are fractions for random_split (floors,
//     then the remainder one row each to the splits in order), counts are
//     lengths that must sum to n (the rest split, if any, takes the rows
//     left); the parts are consecutive slices of randperm(n).
//   - numpy-legacy and python cut consecutive slices of np.random.permutation(n)
//     or of the shuffled list(range(n)), sized by [Sizes].
//
// Errors wrap [ErrUsage] and say why: a seed the mode cannot take, a list it
// cannot express, sizes the library refuses, n outside [0, 2^32).
func CompatSplit(mode CompatMode, n int64, splits []Split, seed string) (*CompatOrder, error) {
	if err := ValidateSplits(splits); err != nil {
		return nil, err
	}
	if err := checkCompatRows(n); err != nil {
		return nil, err
	}
	var (
		parts []Range
		perm  []uint32
		err   error
	)
	switch mode {
	case CompatSklearn, CompatHF:
		if len(splits) != 2 {
			return nil, fmt.Errorf("%w: --compat %s splits into train and test only, got %d splits", ErrUsage, mode, len(splits))
		}
		var nTrain, nTest int64
		// datasets returns an empty dataset as both train and test before
		// any check; scikit-learn refuses it.
		if mode == CompatSklearn || n > 0 {
			if nTrain, nTest, err = shuffleSplitSizes(n, splits); err != nil {
				return nil, fmt.Errorf("%w: --compat %s: %w", ErrUsage, mode, err)
			}
		}
		parts = []Range{{nTest, nTest + nTrain}, {0, nTest}}
	case CompatTorch:
		lengths, err := torchLengths(n, splits)
		if err != nil {
			return nil, fmt.Errorf("%w: --compat torch: %w", ErrUsage, err)
		}
		parts = consecutive(lengths)
	case CompatNumpyLegacy, CompatPython:
		sizes, err := Sizes(splits, n)
		if err != nil {
			return nil, err
		}
		parts = consecutive(sizes)
	default:
		return nil, fmt.Errorf("%w: unknown compat mode %q", ErrUsage, mode)
	}
	if perm, err = compatPerm(mode, n, seed); err != nil {
		return nil, err
	}
	return &CompatOrder{Perm: perm, Parts: parts}, nil
}

// CompatShuffle returns the shuffled order of n rows that the library of
// mode gives for the seed text, as one part: sklearn.utils.shuffle
// (RandomState(seed).permutation(n)), hf's Dataset.shuffle
// (default_rng(seed).permutation(n)), torch.randperm, np.random.permutation
// after np.random.seed, or random.shuffle after random.seed. Errors wrap
// [ErrUsage].
func CompatShuffle(mode CompatMode, n int64, seed string) (*CompatOrder, error) {
	if err := checkCompatRows(n); err != nil {
		return nil, err
	}
	perm, err := compatPerm(mode, n, seed)
	if err != nil {
		return nil, err
	}
	return &CompatOrder{Perm: perm, Parts: []Range{{0, n}}}, nil
}

// CompatKFold returns the k folds of n rows, fold i being the test set of
// split i, for the modes that have a k-fold: sklearn's KFold(k,
// shuffle=True, random_state=seed), whose test indices come sorted; and for
// numpy-legacy and python, np.array_split of the permutation into k
// consecutive folds in permutation order. Fold sizes are scikit-learn's:
// the first n mod k folds get one row more. k must lie in [2, n]. torch
// and hf have no k-fold and give an error. Errors wrap [ErrUsage].
func CompatKFold(mode CompatMode, n int64, k int, seed string) (*CompatOrder, error) {
	switch mode {
	case CompatTorch, CompatHF:
		return nil, fmt.Errorf("%w: --compat %s has no k-fold (the library has none); use sklearn, numpy-legacy or python", ErrUsage, mode)
	case CompatSklearn, CompatNumpyLegacy, CompatPython:
	default:
		return nil, fmt.Errorf("%w: unknown compat mode %q", ErrUsage, mode)
	}
	if err := checkCompatRows(n); err != nil {
		return nil, err
	}
	if k < 2 || int64(k) > n {
		return nil, fmt.Errorf("%w: --compat %s: k-fold needs 2 <= k <= n rows, got k = %d and n = %d", ErrUsage, mode, k, n)
	}
	perm, err := compatPerm(mode, n, seed)
	if err != nil {
		return nil, err
	}
	sizes := make([]int64, k)
	for i := range sizes {
		sizes[i] = n / int64(k)
		if int64(i) < n%int64(k) {
			sizes[i]++
		}
	}
	parts := consecutive(sizes)
	if mode == CompatSklearn {
		// KFold.split turns each fold into a boolean mask and back, so its
		// test indices come out in increasing order.
		for _, p := range parts {
			sortUint32(perm[p.Start:p.End])
		}
	}
	return &CompatOrder{Perm: perm, Parts: parts}, nil
}

// checkCompatRows reports an n a compatibility mode cannot take.
func checkCompatRows(n int64) error {
	switch {
	case n < 0:
		return fmt.Errorf("%w: negative row count %d", ErrUsage, n)
	case n >= MaxCompatRows:
		return fmt.Errorf("%w: %d rows: compat modes hold a permutation of the rows in memory and take at most %d rows", ErrUsage, n, int64(MaxCompatRows-1))
	}
	return nil
}

// consecutive returns back-to-back ranges of the given lengths from 0.
func consecutive(lengths []int64) []Range {
	parts := make([]Range, len(lengths))
	var at int64
	for j, l := range lengths {
		parts[j] = Range{at, at + l}
		at += l
	}
	return parts
}

// sortUint32 sorts a fold's row numbers by counting presence: the rows of a
// fold are distinct, so a bitmap over their span sorts them in linear time.
func sortUint32(s []uint32) {
	if len(s) < 2 {
		return
	}
	lo, hi := s[0], s[0]
	for _, v := range s {
		lo, hi = min(lo, v), max(hi, v)
	}
	seen := make([]uint64, (uint64(hi-lo)+64)/64)
	for _, v := range s {
		d := v - lo
		seen[d/64] |= 1 << (d % 64)
	}
	i := 0
	for w, word := range seen {
		for word != 0 {
			b := bits.TrailingZeros64(word)
			s[i] = lo + uint32(w*64+b)
			i++
			word &^= 1 << b
		}
	}
}

// shuffleSplitSizes computes (n_train, n_test) for a [train, test] list as
// scikit-learn 1.2's _validate_shuffle_split does, which datasets'
// train_test_split copies: test_size and train_size are the ratio of test
// (train is then None), or the two counts (None for the rest split).
func shuffleSplitSizes(n int64, splits []Split) (nTrain, nTest int64, err error) {
	train, test := splits[0], splits[1]
	if test.Rows == 0 { // ratios: test_size=p, train_size=None
		p := test.Ratio
		if !(p > 0 && p < 1) {
			return 0, 0, fmt.Errorf("test_size=%v should be a float in the (0, 1) range", p)
		}
		nTest = ceilTimes(n, p)
		nTrain = n - nTest
	} else {
		for _, s := range []struct {
			name string
			rows int64
		}{{"test_size", test.Rows}, {"train_size", train.Rows}} {
			if s.rows != -1 && s.rows >= n {
				return 0, 0, fmt.Errorf("%s=%d should be smaller than the number of samples %d", s.name, s.rows, n)
			}
		}
		nTrain, nTest = train.Rows, test.Rows
		switch {
		case nTrain == -1:
			nTrain = n - nTest
		case nTest == -1:
			nTest = n - nTrain
		}
		if nTrain+nTest > n {
			return 0, 0, fmt.Errorf("the sum of train_size and test_size = %d should be smaller than the number of samples %d", nTrain+nTest, n)
		}
	}
	if nTrain == 0 {
		return 0, 0, fmt.Errorf("with n_samples=%d the resulting train set would be empty", n)
	}
	return nTrain, nTest, nil
}

// torchLengths computes the split lengths of torch.utils.data.random_split
// (PyTorch 1.13) for a split list over n rows.
func torchLengths(n int64, splits []Split) ([]int64, error) {
	lengths := make([]float64, len(splits))
	if splits[0].Rows == 0 {
		for j, s := range splits {
			lengths[j] = s.Ratio
		}
	} else {
		// Counts are lengths; the rest split gets n minus the others.
		rest, others := -1, int64(0)
		for j, s := range splits {
			if s.Rows == -1 {
				rest = j
				continue
			}
			lengths[j] = float64(s.Rows)
			others += s.Rows
		}
		if rest >= 0 {
			if others > n {
				return nil, fmt.Errorf("the splits ask for %d rows but the input has %d", others, n)
			}
			lengths[rest] = float64(n - others)
		}
	}
	var sum float64 // sum(lengths), left to right, as Python 3.11 adds
	for _, l := range lengths {
		sum += l
	}
	out := make([]int64, len(lengths))
	if math.Abs(sum-1) <= 1e-9*math.Max(math.Abs(sum), 1) && sum <= 1 {
		// Fractions (math.isclose(sum, 1) and sum <= 1): floor(n*f) each,
		// then one more row to each split in turn until all n are placed.
		var total int64
		for j, f := range lengths {
			out[j] = int64(math.Floor(float64(n) * f))
			total += out[j]
		}
		for i := int64(0); i < n-total; i++ {
			out[i%int64(len(out))]++
		}
	} else {
		for j, l := range lengths {
			out[j] = int64(l)
		}
	}
	var total int64
	for _, l := range out {
		total += l
	}
	if total != n {
		if splits[0].Rows == 0 {
			return nil, fmt.Errorf("the ratios sum to %v, which random_split does not take as fractions (it needs math.isclose(sum, 1) and sum <= 1)", sum)
		}
		return nil, fmt.Errorf("the lengths sum to %d but the input has %d rows; random_split needs them equal", total, n)
	}
	return out, nil
}

// compatPerm draws the permutation of n rows (0 <= n < 2^32) that mode's
// library draws for the seed text.
func compatPerm(mode CompatMode, n int64, seed string) ([]uint32, error) {
	perm := make([]uint32, n)
	for i := range perm {
		perm[i] = uint32(i)
	}
	swap := func(i, j int) { perm[i], perm[j] = perm[j], perm[i] }
	switch mode {
	case CompatSklearn, CompatNumpyLegacy:
		s, err := parseUint32Seed(mode, seed)
		if err != nil {
			return nil, err
		}
		prng.NewRandomState(s).Shuffle(int(n), swap)
	case CompatHF:
		s, err := parseCompatInt(mode, seed, false)
		if err != nil {
			return nil, err
		}
		g, err := prng.DefaultRNG(s)
		if err != nil {
			return nil, fmt.Errorf("%w: --compat hf: seed %q: %w", ErrUsage, seed, err)
		}
		g.Shuffle(int(n), swap)
	case CompatTorch:
		s, err := parseCompatInt(mode, seed, true)
		if err != nil {
			return nil, err
		}
		if s.Cmp(torchSeedMin) < 0 || s.Cmp(torchSeedMax) > 0 {
			return nil, fmt.Errorf("%w: --compat torch: seed %s is outside manual_seed's range [-2^63, 2^64-1]", ErrUsage, s)
		}
		u := new(big.Int).And(s, torchSeedMax).Uint64() // s mod 2^64, as torch stores negatives
		prng.NewTorchGenerator(u).Shuffle(int(n), swap)
	case CompatPython:
		r, err := pythonRandom(seed)
		if err != nil {
			return nil, err
		}
		r.Shuffle(int(n), swap)
	default:
		return nil, fmt.Errorf("%w: unknown compat mode %q", ErrUsage, mode)
	}
	return perm, nil
}

var (
	torchSeedMin = new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 63))
	torchSeedMax = new(big.Int).SetUint64(math.MaxUint64)
)

// parseCompatInt parses seed text as a decimal integer: ASCII digits, with
// a leading minus sign if signed. Errors wrap ErrUsage.
func parseCompatInt(mode CompatMode, seed string, signed bool) (*big.Int, error) {
	digits := seed
	if signed {
		digits = strings.TrimPrefix(seed, "-")
	}
	if !isDigits(digits) {
		want := "a non-negative decimal integer"
		if signed {
			want = "a decimal integer"
		}
		return nil, fmt.Errorf("%w: --compat %s takes the seed as %s, got %q", ErrUsage, mode, want, seed)
	}
	v, _ := new(big.Int).SetString(seed, 10) // cannot fail on checked digits
	return v, nil
}

// parseUint32Seed parses the seed of the modes seeding NumPy's legacy
// RandomState, which takes an int in [0, 2^32-1].
func parseUint32Seed(mode CompatMode, seed string) (uint32, error) {
	v, err := parseCompatInt(mode, seed, false)
	if err != nil {
		return 0, err
	}
	if !v.IsUint64() || v.Uint64() > math.MaxUint32 {
		return 0, fmt.Errorf("%w: --compat %s: seed %s is above 2^32-1, the largest random_state NumPy's RandomState takes", ErrUsage, mode, seed)
	}
	return uint32(v.Uint64()), nil
}

// pythonRandom seeds CPython's random as random.seed(seed) would for the
// seed text: an int if the text is a decimal integer (optional minus sign,
// ASCII digits), else the text itself as a str seed.
func pythonRandom(seed string) (*prng.PyRandom, error) {
	if seed == "" {
		return nil, fmt.Errorf("%w: --compat python: empty seed", ErrUsage)
	}
	if isDigits(strings.TrimPrefix(seed, "-")) {
		v, _ := new(big.Int).SetString(seed, 10)
		return prng.NewPyRandom(v), nil
	}
	if !utf8.ValidString(seed) {
		return nil, fmt.Errorf("%w: --compat python: seed %q is not valid UTF-8 text", ErrUsage, seed)
	}
	return prng.NewPyRandomString(seed), nil
}
