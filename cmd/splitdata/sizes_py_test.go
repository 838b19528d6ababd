package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/splitter"
)

// sizesCase is one split list of the sizes comparison.
type sizesCase struct {
	N      int64  `json:"n"`
	Option string `json:"option"` // --ratios, --test-size, --sizes or --k
	Value  string `json:"value"`
}

// pythonSizes runs docs/sizes.py's functions on every case in one Python
// process and returns the rows per split of each. It skips the test when
// there is no python3.
func pythonSizes(t *testing.T, cases []sizesCase) [][]int64 {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 on PATH: docs/sizes.py is not checked against splitdata (Debian: apt-get install python3)")
	}
	const driver = `
import json, sys
sys.path.insert(0, sys.argv[1])
import sizes
out = []
for c in json.load(sys.stdin):
    if c["option"] == "--k":
        out.append(sizes.kfold_sizes(c["n"], int(c["value"])))
    else:
        _, kwargs = sizes._parse(c["option"], c["value"])
        out.append(sizes.split_sizes(c["n"], **kwargs))
json.dump(out, sys.stdout)
`
	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "-c", driver, filepath.Join("..", "..", "docs"))
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3 docs/sizes.py: %v\n%s", err, stderr.String())
	}
	var got [][]int64
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("python3 docs/sizes.py printed %q: %v", out, err)
	}
	if len(got) != len(cases) {
		t.Fatalf("python3 docs/sizes.py gave %d results for %d cases", len(got), len(cases))
	}
	return got
}

// sizesLists are split lists whose sizes round in every way: two splits
// (ceil for the last), largest remainder with ties, ratios summing to a
// little less or more than 1, counts and test sizes.
var sizesLists = []struct{ option, value string }{
	{"--ratios", "train=0.8,test=0.2"},
	{"--ratios", "train=0.75,test=0.25"},
	{"--ratios", "train=0.7,valid=0.2,test=0.1"},
	{"--ratios", "a=0.5,b=0.3,c=0.2"},
	{"--ratios", "a=0.34,b=0.33,c=0.33"},
	{"--ratios", "a=0.25,b=0.25,c=0.25,d=0.25"},
	{"--ratios", "a=0.1,b=0.1,c=0.1,d=0.1,e=0.1,f=0.1,g=0.1,h=0.1,i=0.1,j=0.1"},
	{"--ratios", "all=1"},
	{"--ratios", "a=0.5,b=0.3,c=0.2000000005"},
	{"--ratios", "a=0.5,b=0.3,c=0.1999999995"},
	{"--test-size", "0.25"},
	{"--test-size", "0.1"},
	{"--test-size", "3"},
	{"--sizes", "train=5,test=1"},
}

// TestSizesPyMatchesTool checks docs/sizes.py against the real command
// line: the rows each split gets in `splitdata explain --total N` (every
// row's split, counted), for many N and split lists.
func TestSizesPyMatchesTool(t *testing.T) {
	var cases []sizesCase
	for _, n := range []int64{6, 7, 10, 11, 99, 100, 101, 997, 1000, 1003} {
		for _, l := range sizesLists {
			cases = append(cases, sizesCase{n, l.option, l.value})
		}
	}
	got := pythonSizes(t, cases)
	for i, c := range cases {
		want := explainSizes(t, c)
		if !slices.Equal(got[i], want) {
			t.Errorf("n=%d %s %s: docs/sizes.py %v, splitdata explain %v", c.N, c.Option, c.Value, got[i], want)
		}
	}
}

// explainSizes counts the rows of each split in the output of splitdata
// explain over all N rows of a case.
func explainSizes(t *testing.T, c sizesCase) []int64 {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args := []string{"explain", "--seed", "42", "--rows", fmt.Sprintf("0-%d", c.N-1), "--total", fmt.Sprint(c.N), c.Option, c.Value}
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("splitdata %s: exit %d: %s", strings.Join(args, " "), code, stderr.String())
	}
	splits, err := parseSplitList(map[string]string{"--ratios": c.Value}[c.Option],
		map[string]string{"--test-size": c.Value}[c.Option], map[string]string{"--sizes": c.Value}[c.Option])
	if err != nil {
		t.Fatal(err)
	}
	index := map[string]int{}
	for j, s := range splits {
		index[s.Name] = j
	}
	sizes := make([]int64, len(splits))
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n")[1:] {
		name := line[strings.LastIndexByte(line, ',')+1:]
		if j, ok := index[name]; ok {
			sizes[j]++
		}
	}
	return sizes
}

// TestSizesPyMatchesManifest checks docs/sizes.py against the manifests
// that split and kfold write: splits[].rows.
func TestSizesPyMatchesManifest(t *testing.T) {
	cases := []sizesCase{
		{1003, "--ratios", "train=0.7,valid=0.2,test=0.1"},
		{1003, "--test-size", "0.25"},
		{1003, "--k", "4"},
	}
	got := pythonSizes(t, cases)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"gen", "--rows", "1003", "--out", in, "-q"}, &stdout, &stderr); code != 0 {
		t.Fatalf("gen: exit %d: %s", code, stderr.String())
	}
	for i, c := range cases {
		command := "split"
		if c.Option == "--k" {
			command = "kfold"
		}
		args := []string{command, in, "--out", filepath.Join(dir, fmt.Sprint("out", i)), "--seed", "7", c.Option, c.Value, "--json", "-q"}
		stdout.Reset()
		stderr.Reset()
		if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
			t.Fatalf("splitdata %s: exit %d: %s", strings.Join(args, " "), code, stderr.String())
		}
		var m struct {
			Splits []struct {
				Rows int64 `json:"rows"`
			} `json:"splits"`
		}
		if err := json.Unmarshal(stdout.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		var want []int64
		for _, s := range m.Splits {
			want = append(want, s.Rows)
		}
		if !slices.Equal(got[i], want) {
			t.Errorf("%s %s %s over %d rows: docs/sizes.py %v, manifest %v", command, c.Option, c.Value, c.N, got[i], want)
		}
	}
}

// TestSizesPyMatchesLibraryHugeN checks docs/sizes.py against
// splitter.Sizes, which split and explain use, for row counts no file here
// could hold: float64 products that round, and ratio sums off 1 by up to
// 1e-9 that leave (or take back) more rows than there are splits.
func TestSizesPyMatchesLibraryHugeN(t *testing.T) {
	var cases []sizesCase
	for _, n := range []int64{1 << 53, 1<<53 + 3, 123456789012345, 1e15 + 7, 1<<62 + 1, 1<<63 - 1} {
		for _, l := range sizesLists {
			if l.option == "--sizes" || l.option == "--test-size" && !strings.Contains(l.value, ".") {
				continue
			}
			cases = append(cases, sizesCase{n, l.option, l.value})
		}
	}
	got := pythonSizes(t, cases)
	for i, c := range cases {
		var splits []splitter.Split
		var err error
		if c.Option == "--ratios" {
			splits, err = splitter.ParseRatios(c.Value)
		} else {
			splits, err = splitter.ParseTestSize(c.Value)
		}
		if err != nil {
			t.Fatal(err)
		}
		want, err := splitter.Sizes(splits, c.N)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got[i], want) {
			t.Errorf("n=%d %s %s: docs/sizes.py %v, splitter.Sizes %v", c.N, c.Option, c.Value, got[i], want)
		}
	}
}
