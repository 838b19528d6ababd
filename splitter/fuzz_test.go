package splitter_test

import (
	"crypto/sha256"
	"errors"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/splitdata/splitdata/splitter"
)

// The fuzz targets below start from the corpora in testdata/fuzz/<name>/
// plus a few seeds added here. They check that the parsers never panic,
// that every error wraps ErrUsage, and that what they accept validates,
// sizes any input, and survives formatting and parsing again unchanged.

// formatList writes splits back as the text of --ratios or --sizes.
func formatList(splits []splitter.Split) string {
	items := make([]string, len(splits))
	for j, s := range splits {
		v := strconv.FormatInt(s.Rows, 10)
		if s.Rows == 0 {
			v = strconv.FormatFloat(s.Ratio, 'g', -1, 64)
		}
		items[j] = s.Name + "=" + v
	}
	return strings.Join(items, ",")
}

// checkAccepted checks a split list a parser accepted.
func checkAccepted(t *testing.T, in string, splits []splitter.Split) {
	t.Helper()
	if err := splitter.ValidateSplits(splits); err != nil {
		t.Fatalf("accepted %q as %+v, which does not validate: %v", in, splits, err)
	}
	for _, n := range []int64{0, 1, 7, 1000, 1 << 40} {
		sizes, err := splitter.Sizes(splits, n)
		if err != nil {
			if splits[0].Rows != 0 && errors.Is(err, splitter.ErrUsage) {
				continue // counts asking for more than n rows
			}
			t.Fatalf("Sizes(%+v, %d): %v", splits, n, err)
		}
		var sum int64
		for _, s := range sizes {
			if s < 0 {
				t.Fatalf("Sizes(%+v, %d) = %v: negative", splits, n, sizes)
			}
			sum += s
		}
		if sum > n || splits[0].Rows == 0 && sum != n {
			t.Fatalf("Sizes(%+v, %d) = %v sums to %d", splits, n, sizes, sum)
		}
	}
}

// checkRejected checks a parser's error.
func checkRejected(t *testing.T, in string, splits []splitter.Split, err error) {
	t.Helper()
	if !errors.Is(err, splitter.ErrUsage) {
		t.Fatalf("error for %q does not wrap ErrUsage: %v", in, err)
	}
	if splits != nil {
		t.Fatalf("returned %+v with error %v", splits, err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Fatalf("error for %q spans lines: %q", in, err)
	}
}

func FuzzParseRatios(f *testing.F) {
	for _, s := range []string{"train=0.8,test=0.2", "a=1", " a = .5 , b = 5e-1 ", "a=0.5,b=0.5000000009", "a=0x1p-1", "a=1e400"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		splits, err := splitter.ParseRatios(in)
		if err != nil {
			checkRejected(t, in, splits, err)
			return
		}
		checkAccepted(t, in, splits)
		if _, err := splitter.NewApproxAssigner(ratioValues(splits)); err != nil {
			t.Fatalf("accepted %q, but NewApproxAssigner refuses its ratios: %v", in, err)
		}
		again, err := splitter.ParseRatios(formatList(splits))
		if err != nil || !reflect.DeepEqual(again, splits) {
			t.Fatalf("%q parsed as %+v, whose text %q parses as %+v, %v", in, splits, formatList(splits), again, err)
		}
	})
}

// ratioValues returns the ratios of splits.
func ratioValues(splits []splitter.Split) []float64 {
	r := make([]float64, len(splits))
	for j, s := range splits {
		r[j] = s.Ratio
	}
	return r
}

func FuzzParseSizes(f *testing.F) {
	for _, s := range []string{"train=8000,test=2000", "a=1", "a=007", "a=9223372036854775807", "a=9223372036854775807,b=1", "a=-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		splits, err := splitter.ParseSizes(in)
		if err != nil {
			checkRejected(t, in, splits, err)
			return
		}
		checkAccepted(t, in, splits)
		for _, s := range splits {
			if s.Rows < 1 {
				t.Fatalf("accepted %q with row count %d", in, s.Rows)
			}
		}
		again, err := splitter.ParseSizes(formatList(splits))
		if err != nil || !reflect.DeepEqual(again, splits) {
			t.Fatalf("%q parsed as %+v, whose text %q parses as %+v, %v", in, splits, formatList(splits), again, err)
		}
	})
}

func FuzzParseTestSize(f *testing.F) {
	for _, s := range []string{"0.2", "2000", "0", "1.0", "1e-1", "-0.5", "0.99999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		splits, err := splitter.ParseTestSize(in)
		if err != nil {
			checkRejected(t, in, splits, err)
			return
		}
		checkAccepted(t, in, splits)
		if len(splits) != 2 || splits[0].Name != "train" || splits[1].Name != "test" {
			t.Fatalf("accepted %q as %+v, want train and test", in, splits)
		}
		test := splits[1]
		var again []splitter.Split
		if test.Rows != 0 {
			if splits[0].Rows != -1 {
				t.Fatalf("accepted %q as %+v: a count gives train the rest", in, splits)
			}
			again, err = splitter.ParseTestSize(strconv.FormatInt(test.Rows, 10))
		} else {
			if !(test.Ratio > 0 && test.Ratio < 1) || splits[0].Ratio != 1-test.Ratio {
				t.Fatalf("accepted %q as %+v: want train=1-p, test=p with 0 < p < 1", in, splits)
			}
			// A fraction's shortest text may look like an integer ("1e-05"
			// does not), so round trip through a form with a point.
			again, err = splitter.ParseTestSize(strconv.FormatFloat(test.Ratio, 'e', -1, 64))
		}
		if err != nil || !reflect.DeepEqual(again, splits) {
			t.Fatalf("%q parsed as %+v, whose value parses as %+v, %v", in, splits, again, err)
		}
	})
}

func FuzzParseSeed(f *testing.F) {
	for _, s := range []string{"42", "007", "hello", "-1", "\xff", "", "18446744073709551617"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		seed, err := splitter.ParseSeed(in)
		if in == "" || !utf8.ValidString(in) {
			if err == nil || !errors.Is(err, splitter.ErrUsage) {
				t.Fatalf("ParseSeed(%q) = %v, %v; want an ErrUsage error", in, seed, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("ParseSeed(%q): %v", in, err)
		}
		if seed.Sign() < 0 {
			t.Fatalf("ParseSeed(%q) = %v is negative", in, seed)
		}
		digits := true
		for i := 0; i < len(in); i++ {
			digits = digits && '0' <= in[i] && in[i] <= '9'
		}
		var want *big.Int
		if digits {
			want, _ = new(big.Int).SetString(in, 10)
		} else {
			sum := sha256.Sum256([]byte(in))
			want = new(big.Int).SetBytes(sum[:])
		}
		if seed.Cmp(want) != 0 {
			t.Fatalf("ParseSeed(%q) = %v, want %v", in, seed, want)
		}
	})
}
