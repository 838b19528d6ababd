package splitter_test

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/splitter"
)

// parseCase is one input of a split-list parser: either the splits it must
// return, or the exact error text.
type parseCase struct {
	name string
	in   string
	want []splitter.Split
	err  string
}

func runParseCases(t *testing.T, parse func(string) ([]splitter.Split, error), cases []parseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parse(tc.in)
			if tc.err != "" {
				if err == nil {
					t.Fatalf("parse(%q) = %+v, want error %q", tc.in, got, tc.err)
				}
				if err.Error() != tc.err {
					t.Errorf("parse(%q) error\n got %q\nwant %q", tc.in, err, tc.err)
				}
				if !errors.Is(err, splitter.ErrUsage) {
					t.Errorf("parse(%q) error %q does not wrap ErrUsage", tc.in, err)
				}
				if got != nil {
					t.Errorf("parse(%q) returned %+v with its error", tc.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse(%q): %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("parse(%q)\n got %+v\nwant %+v", tc.in, got, tc.want)
			}
			if err := splitter.ValidateSplits(got); err != nil {
				t.Errorf("parse(%q) = %+v does not validate: %v", tc.in, got, err)
			}
		})
	}
}

// ratios builds a split list sized by ratio from name, ratio pairs.
func ratios(kv ...any) []splitter.Split {
	var s []splitter.Split
	for k := 0; k < len(kv); k += 2 {
		s = append(s, splitter.Split{Name: kv[k].(string), Ratio: kv[k+1].(float64)})
	}
	return s
}

// counts builds a split list sized by row count from name, count pairs.
func counts(kv ...any) []splitter.Split {
	var s []splitter.Split
	for k := 0; k < len(kv); k += 2 {
		var rows int64
		switch v := kv[k+1].(type) {
		case int:
			rows = int64(v)
		case int64: // beyond a 32-bit int
			rows = v
		}
		s = append(s, splitter.Split{Name: kv[k].(string), Rows: rows})
	}
	return s
}

func TestParseRatios(t *testing.T) {
	tenth := make([]string, 10)
	for j := range tenth {
		tenth[j] = fmt.Sprintf("s%d=0.1", j)
	}
	tooMany := strings.Repeat("a=0.001,", 256)
	runParseCases(t, splitter.ParseRatios, []parseCase{
		{name: "two", in: "train=0.8,test=0.2", want: ratios("train", 0.8, "test", 0.2)},
		{name: "three", in: "train=0.8,valid=0.1,test=0.1", want: ratios("train", 0.8, "valid", 0.1, "test", 0.1)},
		{name: "one", in: "all=1", want: ratios("all", 1.0)},
		{name: "spaces", in: " a = 0.5 , b = .5 ", want: ratios("a", 0.5, "b", 0.5)},
		{name: "trailing dot", in: "a=1.", want: ratios("a", 1.0)},
		{name: "exponent", in: "a=5e-1,b=50E-2", want: ratios("a", 0.5, "b", 0.5)},
		{name: "exponent plus", in: "a=0.05e+1,b=0.5", want: ratios("a", 0.5, "b", 0.5)},
		{name: "name chars", in: "Tr_a.in-2=0.5,x=0.5", want: ratios("Tr_a.in-2", 0.5, "x", 0.5)},
		{name: "ten tenths", in: strings.Join(tenth, ","), want: func() []splitter.Split {
			var s []splitter.Split
			for j := range 10 {
				s = append(s, splitter.Split{Name: fmt.Sprintf("s%d", j), Ratio: 0.1})
			}
			return s
		}()},
		{name: "sum within tolerance", in: "a=0.5,b=0.5000000009", want: ratios("a", 0.5, "b", 0.5000000009)},
		{name: "thirds", in: "a=0.3333333333,b=0.3333333333,c=0.3333333334", want: ratios("a", 0.3333333333, "b", 0.3333333333, "c", 0.3333333334)},

		{name: "empty", in: "", err: `usage: ratios "": empty list`},
		{name: "blank", in: "  ", err: `usage: ratios "  ": empty list`},
		{name: "empty item", in: "train=0.8,,test=0.2", err: `usage: ratios "train=0.8,,test=0.2": item 2 is empty`},
		{name: "trailing comma", in: "a=1,", err: `usage: ratios "a=1,": item 2 is empty`},
		{name: "no value", in: "train", err: `usage: ratios "train": item 1 ("train") is not name=ratio`},
		{name: "empty name", in: "=1", err: `usage: ratios "=1": item 1: empty split name`},
		{name: "empty value", in: "a=", err: `usage: ratios "a=": split "a": ratio "" is not a decimal number`},
		{name: "duplicate", in: "train=0.8,train=0.2", err: `usage: ratios "train=0.8,train=0.2": split name "train" is used twice`},
		{name: "sum above", in: "a=0.5,b=0.6", err: `usage: ratios "a=0.5,b=0.6": ratios sum to 1.1, not 1`},
		{name: "sum below", in: "a=0.5,b=0.4", err: `usage: ratios "a=0.5,b=0.4": ratios sum to 0.9, not 1`},
		{name: "sum just outside", in: "a=0.25,b=0.7500000037252903", err: `usage: ratios "a=0.25,b=0.7500000037252903": ratios sum to 1.00000000373, not 1`}, // 1 + 2^-28
		{name: "negative", in: "a=-0.1,b=1.1", err: `usage: ratios "a=-0.1,b=1.1": split "a": ratio "-0.1" is not a decimal number`},
		{name: "plus sign", in: "a=+0.5,b=0.5", err: `usage: ratios "a=+0.5,b=0.5": split "a": ratio "+0.5" is not a decimal number`},
		{name: "zero", in: "a=1,b=0", err: `usage: ratios "a=1,b=0": split "b": ratio "0" is not in (0, 1]`},
		{name: "above one", in: "a=1.5", err: `usage: ratios "a=1.5": split "a": ratio "1.5" is not in (0, 1]`},
		{name: "hex", in: "a=0x1p-1,b=0.5", err: `usage: ratios "a=0x1p-1,b=0.5": split "a": ratio "0x1p-1" is not a decimal number`},
		{name: "inf", in: "a=inf", err: `usage: ratios "a=inf": split "a": ratio "inf" is not a decimal number`},
		{name: "nan", in: "a=NaN", err: `usage: ratios "a=NaN": split "a": ratio "NaN" is not a decimal number`},
		{name: "underscore digits", in: "a=0.5_0,b=0.5", err: `usage: ratios "a=0.5_0,b=0.5": split "a": ratio "0.5_0" is not a decimal number`},
		{name: "bare exponent", in: "a=1e", err: `usage: ratios "a=1e": split "a": ratio "1e" is not a decimal number`},
		{name: "lone dot", in: "a=.", err: `usage: ratios "a=.": split "a": ratio "." is not a decimal number`},
		{name: "two equals", in: "a=0.5=0.5,b=0.5", err: `usage: ratios "a=0.5=0.5,b=0.5": split "a": ratio "0.5=0.5" is not a decimal number`},
		{name: "slash in name", in: "a/b=0.5,c=0.5", err: `usage: ratios "a/b=0.5,c=0.5": item 1: split name "a/b" has a character other than A-Z a-z 0-9 _ . -`},
		{name: "dot name", in: ".=1", err: `usage: ratios ".=1": item 1: split name "." is not allowed`},
		{name: "dotdot name", in: "..=1", err: `usage: ratios "..=1": item 1: split name ".." is not allowed`},
		// Issue 23, case 13: names that collide with splitdata's own files
		// failed at the end of a run ("file exists") or at merge, and
		// names equal but for case were two splits in one directory on
		// case-insensitive file systems.
		{name: "manifest", in: "manifest.json=0.5,test=0.5", err: `usage: ratios "manifest.json=0.5,test=0.5": item 1: split name "manifest.json" is reserved: splitdata writes manifest.json beside the splits`},
		{name: "plan", in: "train=0.5,plan.json=0.5", err: `usage: ratios "train=0.5,plan.json=0.5": item 2: split name "plan.json" is reserved: splitdata writes plan.json beside the splits`},
		{name: "shard record", in: "done.json=1", err: `usage: ratios "done.json=1": item 1: split name "done.json" is reserved: splitdata writes done.json beside the splits`},
		{name: "reserved in other case", in: "Manifest.JSON=1", err: `usage: ratios "Manifest.JSON=1": item 1: split name "Manifest.JSON" is reserved: splitdata writes manifest.json beside the splits`},
		{name: "hidden", in: ".shards=0.5,test=0.5", err: `usage: ratios ".shards=0.5,test=0.5": item 1: split name ".shards" starts with ".", which splitdata's own files do`},
		{name: "case twins", in: "Train=0.5,train=0.5", err: `usage: ratios "Train=0.5,train=0.5": split names "Train" and "train" differ only in case (one directory on case-insensitive file systems)`},
		{name: "case twins among three", in: "a=0.2,TEST=0.4,test=0.4", err: `usage: ratios "a=0.2,TEST=0.4,test=0.4": split names "TEST" and "test" differ only in case (one directory on case-insensitive file systems)`},
		{name: "Kelvin sign", in: "\u212A=0.5,k=0.5", err: "usage: ratios \"\u212A=0.5,k=0.5\": item 1: split name \"\u212A\" has a character other than A-Z a-z 0-9 _ . -"},
		{name: "dot inside", in: "v1.0=0.5,v1.1=0.5", want: ratios("v1.0", 0.5, "v1.1", 0.5)},
		{name: "non-ASCII name", in: "tést=1", err: `usage: ratios "tést=1": item 1: split name "tést" has a character other than A-Z a-z 0-9 _ . -`},
		{name: "too many", in: tooMany + "a=0.001", err: `usage: ratios "` + tooMany + `a=0.001": 257 splits, at most 255 allowed`},
		{name: "exponent overflow", in: "a=1e400", err: `usage: ratios "a=1e400": split "a": ratio "1e400" is not in (0, 1]`},
		{name: "underflow to zero", in: "a=1e-400,b=1", err: `usage: ratios "a=1e-400,b=1": split "a": ratio "1e-400" is not in (0, 1]`},
	})
}

func TestParseSizes(t *testing.T) {
	runParseCases(t, splitter.ParseSizes, []parseCase{
		{name: "two", in: "train=8000,test=2000", want: counts("train", 8000, "test", 2000)},
		{name: "one", in: "sample=1", want: counts("sample", 1)},
		{name: "leading zeros", in: "a=007", want: counts("a", 7)},
		{name: "spaces", in: " a = 5 ,b=6", want: counts("a", 5, "b", 6)},
		{name: "max", in: "a=9223372036854775806,b=1", want: counts("a", int64(math.MaxInt64-1), "b", 1)},

		{name: "empty", in: "", err: `usage: sizes "": empty list`},
		{name: "negative", in: "a=10,b=-1", err: `usage: sizes "a=10,b=-1": split "b": row count "-1" is not a positive integer`},
		{name: "zero", in: "a=10,b=0", err: `usage: sizes "a=10,b=0": split "b": row count must be at least 1`},
		{name: "fraction", in: "a=1.5", err: `usage: sizes "a=1.5": split "a": row count "1.5" is not a positive integer`},
		{name: "plus", in: "a=+5", err: `usage: sizes "a=+5": split "a": row count "+5" is not a positive integer`},
		{name: "exponent", in: "a=1e3", err: `usage: sizes "a=1e3": split "a": row count "1e3" is not a positive integer`},
		{name: "too large", in: "a=99999999999999999999", err: `usage: sizes "a=99999999999999999999": split "a": row count "99999999999999999999" is too large (at most 9223372036854775807)`},
		{name: "sum overflows", in: "a=9223372036854775807,b=1", err: `usage: sizes "a=9223372036854775807,b=1": row counts sum to more than 9223372036854775807`},
		{name: "duplicate", in: "a=1,a=2", err: `usage: sizes "a=1,a=2": split name "a" is used twice`},
		{name: "not name=count", in: "5", err: `usage: sizes "5": item 1 ("5") is not name=row-count`},
	})
}

func TestParseTestSize(t *testing.T) {
	runParseCases(t, splitter.ParseTestSize, []parseCase{
		{name: "fraction", in: "0.2", want: ratios("train", 1-0.2, "test", 0.2)},
		{name: "fraction spaces", in: " 0.25 ", want: ratios("train", 0.75, "test", 0.25)},
		{name: "fraction exponent", in: "1e-1", want: ratios("train", 1-0.1, "test", 0.1)},
		{name: "tiny fraction", in: "1e-300", want: ratios("train", 1.0, "test", 1e-300)},
		{name: "count", in: "2000", want: []splitter.Split{{Name: "train", Rows: -1}, {Name: "test", Rows: 2000}}},
		{name: "count one", in: "1", want: []splitter.Split{{Name: "train", Rows: -1}, {Name: "test", Rows: 1}}},
		{name: "count leading zeros", in: "0010", want: []splitter.Split{{Name: "train", Rows: -1}, {Name: "test", Rows: 10}}},

		{name: "zero", in: "0", err: `usage: test size "0": row count must be at least 1`},
		{name: "zero fraction", in: "0.0", err: `usage: test size "0.0": a fraction must lie strictly between 0 and 1`},
		{name: "one fraction", in: "1.0", err: `usage: test size "1.0": a fraction must lie strictly between 0 and 1`},
		{name: "float count", in: "2000.0", err: `usage: test size "2000.0": a fraction must lie strictly between 0 and 1`},
		{name: "rounds to one", in: "0.99999999999999999999", err: `usage: test size "0.99999999999999999999": a fraction must lie strictly between 0 and 1`},
		{name: "negative", in: "-0.2", err: `usage: test size "-0.2": not a fraction in (0, 1) or a row count`},
		{name: "word", in: "abc", err: `usage: test size "abc": not a fraction in (0, 1) or a row count`},
		{name: "empty", in: "", err: `usage: test size "": not a fraction in (0, 1) or a row count`},
		{name: "percent", in: "20%", err: `usage: test size "20%": not a fraction in (0, 1) or a row count`},
		{name: "huge count", in: "99999999999999999999", err: `usage: test size "99999999999999999999": row count "99999999999999999999" is too large (at most 9223372036854775807)`},
	})
}

func TestValidateSplits(t *testing.T) {
	many := make([]splitter.Split, splitter.MaxSplits+1)
	for j := range many {
		many[j] = splitter.Split{Name: fmt.Sprintf("s%d", j), Rows: 1}
	}
	tests := []struct {
		name   string
		splits []splitter.Split
		err    string // "" for valid
	}{
		{"ratios", ratios("a", 0.5, "b", 0.5), ""},
		{"counts", counts("a", 5, "b", 6), ""},
		{"counts with rest", counts("a", -1, "b", 6), ""},
		{"only rest", counts("a", -1), ""},
		{"max splits", many[:splitter.MaxSplits], ""},

		{"nil", nil, "usage: no splits"},
		{"too many", many, "usage: 256 splits, at most 255 allowed"},
		{"bad name", ratios("a b", 1.0), `usage: split 1: split name "a b" has a character other than A-Z a-z 0-9 _ . -`},
		{"duplicate", counts("a", 1, "a", 2), `usage: split name "a" is used twice`},
		{"mixed ratio first", []splitter.Split{{Name: "a", Ratio: 0.5}, {Name: "b", Rows: 5}}, `usage: split "b" has a row count but "a" has a ratio: use ratios or counts, not both`},
		{"mixed count first", []splitter.Split{{Name: "a", Rows: 5}, {Name: "b", Ratio: 0.5}}, `usage: split "b" has a ratio but "a" has a row count: use ratios or counts, not both`},
		{"two rests", counts("a", -1, "b", -1), `usage: splits "a" and "b" both take the remaining rows`},
		{"negative count", counts("a", -2), `usage: split "a": row count -2 is negative`},
		{"ratio NaN", ratios("a", math.NaN()), `usage: split "a": ratio NaN is not in (0, 1]`},
		{"ratio Inf", ratios("a", math.Inf(1)), `usage: split "a": ratio +Inf is not in (0, 1]`},
		{"ratio negative", ratios("a", -0.5, "b", 1.5), `usage: split "a": ratio -0.5 is not in (0, 1]`},
		{"ratio sum", ratios("a", 0.5, "b", 0.25), `usage: ratios sum to 0.75, not 1`},
		{"count overflow", counts("a", int64(math.MaxInt64), "b", 1), `usage: row counts sum to more than 9223372036854775807`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := splitter.ValidateSplits(tc.splits)
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("ValidateSplits(%+v) = %v, want nil", tc.splits, err)
			case tc.err != "" && err == nil:
				t.Errorf("ValidateSplits(%+v) = nil, want %q", tc.splits, tc.err)
			case tc.err != "" && err.Error() != tc.err:
				t.Errorf("ValidateSplits error\n got %q\nwant %q", err, tc.err)
			case tc.err != "" && !errors.Is(err, splitter.ErrUsage):
				t.Errorf("ValidateSplits error %q does not wrap ErrUsage", err)
			}
		})
	}
}

// TestValidateSplitsNames: the name rules hold for split lists built in
// code, not only parsed ones (pipeline configs and plans go through
// ValidateSplits).
func TestValidateSplitsNames(t *testing.T) {
	for _, tc := range []struct {
		names []string
		want  string
	}{
		{[]string{"train", "TRAIN"}, "differ only in case"},
		{[]string{"PLAN.json"}, "is reserved"},
		{[]string{".x"}, `starts with "."`},
	} {
		splits := make([]splitter.Split, len(tc.names))
		for i, n := range tc.names {
			splits[i] = splitter.Split{Name: n, Ratio: 1 / float64(len(tc.names))}
		}
		err := splitter.ValidateSplits(splits)
		if !errors.Is(err, splitter.ErrUsage) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ValidateSplits(%v) = %v, want a usage error saying %q", tc.names, err, tc.want)
		}
	}
}
