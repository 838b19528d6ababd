package report

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/splitter"
)

// numpyLines returns Python (NumPy, and the library of a --compat mode)
// that recomputes the split of any row i of m's output, for every mode a
// manifest records: docs/algorithm.md specifies each, docs/compat.md the
// compatibility modes. Modes whose rule needs a whole column (--stratify,
// --group --ratio-by rows) read it into values, which the user fills in;
// --stratify calls the reference scripts the algorithm's tests check
// (splitter/testdata/stratifyv1.py).
func numpyLines(m *pipeline.Manifest) string {
	o := m.Options
	names, sizes := writtenSplits(m)
	var b strings.Builder
	switch {
	case o.Compat != "":
		compatLines(&b, m, names, sizes)
	case o.Replace:
		fmt.Fprintf(&b, "import numpy as np\nseed, n, k = %s, %d, %d\n", m.Seed, m.Rows, sum(sizes))
		b.WriteString("draws = np.sort(np.random.Generator(np.random.PCG64(seed)).integers(0, n, k))  # the sample's rows, in output order\n" +
			"print(np.count_nonzero(draws == i))                    # how many times row i is in the sample\n")
	case o.Stratify != "":
		stratifyLines(&b, m, names)
	case o.Group != "" && o.RatioBy == "rows":
		exact, err := splitter.Sizes(o.Splits, m.Rows)
		if err != nil {
			return fmt.Sprintf("# the sizes of %v over %d rows: %v\n", o.Splits, m.Rows, err)
		}
		b.WriteString("import hashlib, hmac\nimport numpy as np\n")
		fmt.Fprintf(&b, "seed = %s\n", m.Seed)
		groupKeyLines(&b, o.Group)
		fmt.Fprintf(&b, "values = ...                                          # column %s of every input row, in input order (None for null)\n", strconv.Quote(o.Group))
		b.WriteString("gk = np.array([group_key(v) for v in values], dtype=np.uint64)\n" +
			"first = np.searchsorted(np.sort(gk), gk, side=\"left\")  # rank of the group's first row by (group key, row)\n")
		fmt.Fprintf(&b, "sizes, names = [%s], [%s]  # exact sizes over all rows\n", joinInts(exact), joinQuoted(names))
		b.WriteString("ids = np.searchsorted(np.cumsum(sizes), first, side=\"right\")\n")
		printID(&b)
	case o.Group != "":
		b.WriteString("import hashlib, hmac, math\n")
		fmt.Fprintf(&b, "seed = %s\n", m.Seed)
		groupKeyLines(&b, o.Group)
		fmt.Fprintf(&b, "ratios, names = [%s], [%s]\n", joinRatios(o.Splits), joinQuoted(names))
		b.WriteString("cuts, c = [], 0.0\nfor r in ratios[:-1]:                                  # T(j) = floor(C(j) * 2^64)\n" +
			"    c += r\n    if c >= 1:\n        break\n    cuts.append(math.floor(c * 2**64))\n")
		fmt.Fprintf(&b, "value = ...                                           # row i's value in column %s (None for null)\n", strconv.Quote(o.Group))
		b.WriteString("print(names[sum(group_key(value) >= t for t in cuts)])  # the split of row i\n")
	default:
		fmt.Fprintf(&b, "import numpy as np\nseed, n = %s, %d\nkeys = np.random.PCG64(seed).random_raw(n)            # key(i) of every row i\n", m.Seed, m.Rows)
		switch {
		case o.Approx:
			fmt.Fprintf(&b, "ratios, names = [%s], [%s]\n", joinRatios(o.Splits), joinQuoted(names))
			b.WriteString("cuts = [int(c * 2**64) for c in np.cumsum(ratios)[:-1]]   # T(j) = floor(C(j) * 2^64)\n" +
				"ids = np.searchsorted(np.array(cuts, dtype=np.uint64), keys, side=\"right\")\n" +
				"print(names[ids[i]])                                  # the split of row i\n")
		case m.Command == "shuffle":
			b.WriteString("order = np.lexsort((np.arange(n), keys))              # the output's row order: by (key, i)\n")
		default:
			b.WriteString("order = np.lexsort((np.arange(n), keys))              # rank rows by (key, i)\n")
			fmt.Fprintf(&b, "sizes, names = [%s], [%s]\n", joinInts(sizes), joinQuoted(names))
			b.WriteString("ids = np.full(n, len(sizes))                          # len(sizes): in no split\n" +
				"ids[order[: sum(sizes)]] = np.repeat(np.arange(len(sizes)), sizes)\n")
			printID(&b)
		}
	}
	if o.Materialize {
		b.WriteString("# fold-j/test holds the rows of fold j, fold-j/train every other fold's rows\n")
	}
	return b.String()
}

// writtenSplits returns the splits' names and rows as the output holds
// them; for --materialize, the folds (fold-j/test).
func writtenSplits(m *pipeline.Manifest) (names []string, sizes []int64) {
	for _, s := range m.Splits {
		name := s.Name
		if m.Options.Materialize {
			if !strings.HasSuffix(name, "/test") {
				continue
			}
			name = strings.TrimSuffix(name, "/test")
		}
		names = append(names, name)
		sizes = append(sizes, s.Rows)
	}
	return names, sizes
}

// groupKeyLines defines group_key(value), a group's key (section 7b).
func groupKeyLines(b *strings.Builder, col string) {
	fmt.Fprintf(b, "def group_key(value):                                 # docs/algorithm.md 7b; value: the row's %s\n", strconv.Quote(col))
	b.WriteString("    if value is None:\n        c = b\"\\x00\"\n" +
		"    elif isinstance(value, bool):\n        c = b\"\\x01\" + (b\"true\" if value else b\"false\")\n" +
		"    elif isinstance(value, int):\n        c = b\"\\x01\" + str(value).encode()\n" +
		"    else:\n        c = b\"\\x01\" + (value.encode() if isinstance(value, str) else value)\n" +
		"    return int.from_bytes(hmac.new(str(seed).encode(), c, \"sha256\").digest()[:8], \"big\")\n")
}

// stratifyLines recompute a stratified split, k-fold or sample with the
// reference script of docs/algorithm.md section 16.
func stratifyLines(b *strings.Builder, m *pipeline.Manifest, names []string) {
	o := m.Options
	b.WriteString("import sys\nsys.path.insert(0, \"splitter/testdata\")              # splitdata's reference scripts (docs/algorithm.md 10, 16)\n" +
		"import hashlib, hmac\nimport numpy as np\nimport stratifyv1\n")
	fmt.Fprintf(b, "seed = %s\n", m.Seed)
	fmt.Fprintf(b, "values = ...                                          # column %s of every input row, in input order (None for null)\n", strconv.Quote(o.Stratify))
	b.WriteString("def canon(v):                                         # a class's canonical bytes (section 7b)\n" +
		"    if v is None:\n        return b\"\\x00\"\n" +
		"    if isinstance(v, bool):\n        return b\"\\x01\" + (b\"true\" if v else b\"false\")\n" +
		"    return b\"\\x01\" + (v if isinstance(v, bytes) else str(v).encode())\n" +
		"index = {c: j for j, c in enumerate(sorted({canon(v) for v in values}))}  # classes in canonical order\n" +
		"classes = [index[canon(v)] for v in values]\n" +
		"counts = np.bincount(classes, minlength=len(index)).tolist()\n")
	if m.Command == "kfold" {
		fmt.Fprintf(b, "table = stratifyv1.kfold_sizes(counts, %d)            # rows of each class in each fold (section 13)\n", len(names))
	} else {
		fmt.Fprintf(b, "table = stratifyv1.stratified_sizes(counts, [%s])  # section 12\n", splitTuples(o.Splits))
	}
	fmt.Fprintf(b, "ids, names = stratifyv1.stratified_assign(seed, classes, table), [%s]\n", joinQuoted(names))
	printID(b)
}

// compatLines recompute a --compat output with the library's own
// permutation (docs/compat.md).
func compatLines(b *strings.Builder, m *pipeline.Manifest, names []string, sizes []int64) {
	o := m.Options
	// The libraries take the seed as the user wrote it (docs/compat.md):
	// an integer, or for python a text, as a str.
	seed := m.Seed
	if t := strings.TrimSpace(m.SeedText); t != "" {
		seed = t
		if _, ok := new(big.Int).SetString(t, 10); !ok || t != m.SeedText {
			seed = strconv.Quote(m.SeedText)
		}
	}
	b.WriteString("import numpy as np\n")
	fmt.Fprintf(b, "seed, n = %s, %d\n", seed, m.Rows)
	switch o.Compat {
	case splitter.CompatSklearn, splitter.CompatNumpyLegacy:
		b.WriteString("p = np.random.RandomState(seed).permutation(n)        # the library's permutation of the rows\n")
	case splitter.CompatHF:
		b.WriteString("p = np.random.default_rng(seed).permutation(n)        # datasets' permutation of the rows\n")
	case splitter.CompatTorch:
		b.WriteString("import torch\np = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).numpy()\n")
	case splitter.CompatPython:
		b.WriteString("import random\nrandom.seed(seed)\np = list(range(n))\nrandom.shuffle(p)\np = np.array(p, dtype=np.int64)\n")
	default:
		fmt.Fprintf(b, "# --compat %s: see docs/compat.md\n", o.Compat)
		return
	}
	if m.Command == "shuffle" {
		b.WriteString("order = p                                             # the output's row order\n")
		return
	}
	// sklearn and datasets take the test rows first, then train; the
	// others cut consecutive slices in the list's order.
	if m.Command == "split" && (o.Compat == splitter.CompatSklearn || o.Compat == splitter.CompatHF) && len(names) == 2 {
		names[0], names[1] = names[1], names[0]
		sizes[0], sizes[1] = sizes[1], sizes[0]
	}
	fmt.Fprintf(b, "sizes, names = [%s], [%s]  # consecutive slices of p\n", joinInts(sizes), joinQuoted(names))
	b.WriteString("pos = np.empty(n, dtype=np.int64)\npos[p] = np.arange(n)                                 # row i's position in p\n" +
		"ids = np.searchsorted(np.cumsum(sizes), pos, side=\"right\")\n")
	printID(b)
}

func printID(b *strings.Builder) {
	b.WriteString("print(names[ids[i]] if ids[i] < len(names) else None) # the split of row i\n")
}

func sum(xs []int64) int64 {
	var t int64
	for _, x := range xs {
		t += x
	}
	return t
}

func joinInts(xs []int64) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.FormatInt(x, 10)
	}
	return strings.Join(s, ", ")
}

func joinQuoted(xs []string) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Quote(x)
	}
	return strings.Join(s, ", ")
}

func joinRatios(splits []splitter.Split) string {
	s := make([]string, len(splits))
	for i, x := range splits {
		s[i] = strconv.FormatFloat(x.Ratio, 'g', -1, 64)
	}
	return strings.Join(s, ", ")
}

// splitTuples spells a split list as stratifyv1 takes it: (name, ratio),
// (name, rows), or (name, None) for the rest.
func splitTuples(splits []splitter.Split) string {
	s := make([]string, len(splits))
	for i, x := range splits {
		v := strconv.FormatFloat(x.Ratio, 'g', -1, 64)
		switch {
		case x.Rows < 0:
			v = "None"
		case x.Rows > 0:
			v = strconv.FormatInt(x.Rows, 10)
		case x.Ratio == math.Trunc(x.Ratio):
			v += ".0" // a float, not a count
		}
		s[i] = "(" + strconv.Quote(x.Name) + ", " + v + ")"
	}
	return strings.Join(s, ", ")
}
