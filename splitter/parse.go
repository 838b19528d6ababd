package splitter

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ErrUsage classes every error caused by invalid options: malformed split
// lists or seeds, ratios that do not sum to 1, sizes that do not fit the
// data. Test for it with errors.Is; the wrapping error says what is wrong.
var ErrUsage = errors.New("usage")

// MaxSplits is the largest number of splits in one list. Split ids are
// uint8 and the id len(splits) is reserved for unassigned rows.
const MaxSplits = 255

// ReservedNames are the names of the files splitdata writes beside the
// split directories (the manifest, a sharded job's plan, a shard's record):
// no split may take one, in any case.
var ReservedNames = []string{"manifest.json", "plan.json", "done.json"}

// RatioTolerance is how far the sum of the ratios of a split list may be from
// 1: the float64 sum of the ratios, in listed order, must lie within
// RatioTolerance of 1.
const RatioTolerance = 1e-9

// Split is one named part of a split list. A split has either a Ratio (a
// share of the rows) or a Rows count; all splits of a list are of the same
// kind, except that one split of a list of counts may take the rest (Rows =
// -1). Split lists are serialised into plans and manifests.
type Split struct {
	// Name names the split and its output directory: one or more of the
	// characters A-Z a-z 0-9 _ . -, not starting with "." (splitdata's
	// own hidden files and directories do) and none of [ReservedNames] in
	// any case. The names of a list differ in more than case.
	Name string `json:"name"`
	// Ratio is the split's share of the rows, in (0, 1]. It is used only
	// when Rows is zero.
	Ratio float64 `json:"ratio,omitempty"`
	// Rows is an absolute number of rows (at least 1), or -1 for all rows
	// left after the other splits (the train split of an integer
	// --test-size). Zero means the split is sized by Ratio.
	Rows int64 `json:"rows,omitempty"`
}

// ParseRatios parses a list of split ratios such as
// "train=0.8,valid=0.1,test=0.1": comma-separated name=ratio items, each
// ratio a decimal number in (0, 1] (digits with an optional fraction and
// exponent, no sign, no hexadecimal, Inf or NaN), summing to 1 within
// [RatioTolerance]. Spaces around items, names and numbers are ignored.
// Errors wrap [ErrUsage].
func ParseRatios(s string) ([]Split, error) {
	splits, err := parseList(s, "ratio", func(v string) (Split, error) {
		r, err := parseRatio(v)
		return Split{Ratio: r}, err
	})
	if err != nil {
		return nil, fmt.Errorf("%w: ratios %q: %w", ErrUsage, s, err)
	}
	if err := validateSplits(splits); err != nil {
		return nil, fmt.Errorf("%w: ratios %q: %w", ErrUsage, s, err)
	}
	return splits, nil
}

// ParseSizes parses a list of absolute split sizes such as
// "train=8000,test=2000": comma-separated name=count items, each count a
// positive decimal integer (digits only). The counts may sum to less than
// the number of rows: as with scikit-learn's train_size and test_size, the
// rows left over are in no split (see [Sizes]). Errors wrap [ErrUsage].
func ParseSizes(s string) ([]Split, error) {
	splits, err := parseList(s, "row count", func(v string) (Split, error) {
		n, err := parseCount(v)
		return Split{Rows: n}, err
	})
	if err != nil {
		return nil, fmt.Errorf("%w: sizes %q: %w", ErrUsage, s, err)
	}
	if err := validateSplits(splits); err != nil {
		return nil, fmt.Errorf("%w: sizes %q: %w", ErrUsage, s, err)
	}
	return splits, nil
}

// ParseTestSize parses the value of --test-size as scikit-learn's
// train_test_split reads test_size, and returns the two splits train and
// test. A plain decimal integer (digits only, at least 1) is a row count:
// test gets that many rows and train the rest (Rows = -1). Any other decimal
// number p must satisfy 0 < p < 1 and is a fraction: train=1-p, test=p, with
// the test size computed from p itself (see [Sizes]). So "2000" is a count,
// "0.2" a fraction, and "1.0" or "2000.0" are errors. Errors wrap [ErrUsage].
func ParseTestSize(s string) ([]Split, error) {
	v := strings.TrimSpace(s)
	if isDigits(v) {
		n, err := parseCount(v)
		if err != nil {
			return nil, fmt.Errorf("%w: test size %q: %w", ErrUsage, s, err)
		}
		return []Split{{Name: "train", Rows: -1}, {Name: "test", Rows: n}}, nil
	}
	if !isDecimal(v) {
		return nil, fmt.Errorf("%w: test size %q: not a fraction in (0, 1) or a row count", ErrUsage, s)
	}
	p, err := strconv.ParseFloat(v, 64)
	if err != nil || !(p > 0 && p < 1) {
		return nil, fmt.Errorf("%w: test size %q: a fraction must lie strictly between 0 and 1", ErrUsage, s)
	}
	return []Split{{Name: "train", Ratio: 1 - p}, {Name: "test", Ratio: p}}, nil
}

// ValidateSplits reports the first problem with a split list, wrapping
// [ErrUsage]: the list must hold 1 to [MaxSplits] splits with valid, unique
// names, and either every split has a Ratio in (0, 1] and the ratios sum to
// 1 within [RatioTolerance], or every split has Rows >= 1 except at most one
// with Rows = -1 (the rest), and the counts sum to at most MaxInt64.
func ValidateSplits(splits []Split) error {
	if err := validateSplits(splits); err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	return nil
}

// validateSplits is [ValidateSplits] with errors that do not wrap ErrUsage.
func validateSplits(splits []Split) error {
	if len(splits) == 0 {
		return errors.New("no splits")
	}
	if len(splits) > MaxSplits {
		return fmt.Errorf("%d splits, at most %d allowed", len(splits), MaxSplits)
	}
	for i, s := range splits {
		if err := checkName(s.Name); err != nil {
			return fmt.Errorf("split %d: %w", i+1, err)
		}
		for _, t := range splits[:i] {
			switch {
			case t.Name == s.Name:
				return fmt.Errorf("split name %q is used twice", s.Name)
			case strings.EqualFold(t.Name, s.Name):
				// One directory on case-insensitive file systems (macOS,
				// Windows): the second split would overwrite the first.
				return fmt.Errorf("split names %q and %q differ only in case (one directory on case-insensitive file systems)", t.Name, s.Name)
			}
		}
	}
	if splits[0].Rows == 0 {
		return validateRatios(splits)
	}
	return validateCounts(splits)
}

// validateRatios checks a list of splits sized by ratio.
func validateRatios(splits []Split) error {
	var sum float64
	for _, s := range splits {
		if s.Rows != 0 {
			return fmt.Errorf("split %q has a row count but %q has a ratio: use ratios or counts, not both", s.Name, splits[0].Name)
		}
		if !(s.Ratio > 0 && s.Ratio <= 1) {
			return fmt.Errorf("split %q: ratio %v is not in (0, 1]", s.Name, s.Ratio)
		}
		sum += s.Ratio
	}
	if math.Abs(sum-1) > RatioTolerance {
		return fmt.Errorf("ratios sum to %s, not 1", formatShare(sum))
	}
	return nil
}

// validateCounts checks a list of splits sized by row count.
func validateCounts(splits []Split) error {
	var sum int64
	rest := ""
	for _, s := range splits {
		switch {
		case s.Rows == -1:
			if rest != "" {
				return fmt.Errorf("splits %q and %q both take the remaining rows", rest, s.Name)
			}
			rest = s.Name
		case s.Rows == 0:
			return fmt.Errorf("split %q has a ratio but %q has a row count: use ratios or counts, not both", s.Name, splits[0].Name)
		case s.Rows < 0:
			return fmt.Errorf("split %q: row count %d is negative", s.Name, s.Rows)
		default:
			if s.Rows > math.MaxInt64-sum {
				return fmt.Errorf("row counts sum to more than %d", int64(math.MaxInt64))
			}
			sum += s.Rows
		}
	}
	return nil
}

// parseList splits "name=value,..." and parses each value with parse. Its
// errors do not wrap ErrUsage; the caller adds it with the whole list.
func parseList(s, what string, parse func(string) (Split, error)) ([]Split, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("empty list")
	}
	items := strings.Split(s, ",")
	if len(items) > MaxSplits {
		return nil, fmt.Errorf("%d splits, at most %d allowed", len(items), MaxSplits)
	}
	splits := make([]Split, 0, len(items))
	for i, item := range items {
		name, value, ok := strings.Cut(item, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok {
			if strings.TrimSpace(item) == "" {
				return nil, fmt.Errorf("item %d is empty", i+1)
			}
			return nil, fmt.Errorf("item %d (%q) is not name=%s", i+1, strings.TrimSpace(item), strings.ReplaceAll(what, " ", "-"))
		}
		if err := checkName(name); err != nil {
			return nil, fmt.Errorf("item %d: %w", i+1, err)
		}
		sp, err := parse(value)
		if err != nil {
			return nil, fmt.Errorf("split %q: %w", name, err)
		}
		sp.Name = name
		splits = append(splits, sp)
	}
	return splits, nil
}

// parseRatio parses one ratio: a decimal number in (0, 1].
func parseRatio(v string) (float64, error) {
	if !isDecimal(v) {
		return 0, fmt.Errorf("ratio %q is not a decimal number", v)
	}
	r, err := strconv.ParseFloat(v, 64)
	if err != nil || !(r > 0 && r <= 1) {
		return 0, fmt.Errorf("ratio %q is not in (0, 1]", v)
	}
	return r, nil
}

// parseCount parses one row count: a positive decimal integer.
func parseCount(v string) (int64, error) {
	if !isDigits(v) {
		return 0, fmt.Errorf("row count %q is not a positive integer", v)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("row count %q is too large (at most %d)", v, int64(math.MaxInt64))
	}
	if n == 0 {
		return 0, errors.New("row count must be at least 1")
	}
	return n, nil
}

// checkName reports whether name is a valid split name.
func checkName(name string) error {
	if name == "" {
		return errors.New("empty split name")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return fmt.Errorf("split name %q has a character other than A-Z a-z 0-9 _ . -", name)
		}
	}
	if name == "." || name == ".." {
		return fmt.Errorf("split name %q is not allowed", name)
	}
	if name[0] == '.' {
		return fmt.Errorf("split name %q starts with \".\", which splitdata's own files do", name)
	}
	// Names are ASCII, so ASCII case folding is Unicode case folding.
	for _, r := range ReservedNames {
		if strings.EqualFold(name, r) {
			return fmt.Errorf("split name %q is reserved: splitdata writes %s beside the splits", name, r)
		}
	}
	return nil
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isDecimal reports whether s is an unsigned decimal number: digits with an
// optional fraction, at least one digit in all, then an optional exponent
// e or E, an optional sign and digits. Python's float() and Go's
// strconv.ParseFloat read this syntax identically (correctly rounded).
func isDecimal(s string) bool {
	i, digits := 0, 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !isDigits(s[i:]) {
			return false
		}
		return true
	}
	return i == len(s)
}

// formatShare formats a sum of ratios as people write it: to 12 significant
// digits, so that 0.3+0.6 reads 0.9 rather than 0.8999999999999999; in
// full when that would read 1.
func formatShare(f float64) string {
	if s := strconv.FormatFloat(f, 'g', 12, 64); s != "1" {
		return s
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
