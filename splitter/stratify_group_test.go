package splitter_test

import (
	"cmp"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/splitdata/splitdata/splitter"
)

// stratGroupVectors mirrors testdata/stratgroup_vectors.json, written by
// testdata/gen_stratgroup_vectors.py with NumPy and scikit-learn 1.2
// through testdata/stratgroupv1.py. Never edit the JSON: regenerate it; a
// change of ids_hex or ours is a change of algorithm version.
type stratGroupVectors struct {
	SklearnVersion string `json:"sklearn_version"`
	Seeds          int    `json:"seeds"`
	Datasets       map[string]struct {
		Groups  []int64  `json:"groups"`
		Classes []string `json:"classes"`
	} `json:"datasets"`
	Cases []struct {
		Data             string       `json:"data"`
		Option           string       `json:"option"` // --ratios, --sizes or --kfold
		Value            string       `json:"value"`
		Seed             string       `json:"seed"`
		IDsHex           string       `json:"ids_hex"`
		Ours             shareErrors  `json:"ours"`
		Sklearn          *shareErrors `json:"sklearn"`
		SklearnNoShuffle *shareErrors `json:"sklearn_no_shuffle"`
	} `json:"cases"`
}

// shareErrors are the class-share errors of an assignment (see errors() in
// gen_stratgroup_vectors.py).
type shareErrors struct {
	ShareMax         float64 `json:"share_max"`
	ShareMean        float64 `json:"share_mean"`
	SklearnObjective float64 `json:"sklearn_objective"`
}

// stratGroupAssign is the rule of docs/algorithm.md section 17 over rows
// held in memory: each row's split id (len(splits) for the rest).
func stratGroupAssign(t *testing.T, seed *big.Int, groups []int64, labels []string, splits []splitter.Split) []uint8 {
	t.Helper()
	names := slices.Sorted(slices.Values(labels))
	names = slices.Compact(names)
	classes := make([]uint32, len(labels))
	classRows := make([]int64, len(names))
	for i, l := range labels {
		c, _ := slices.BinarySearch(names, l)
		classes[i] = uint32(c)
		classRows[c]++
	}
	h := splitter.NewGroupHasher(seed)
	keys := make([]uint64, len(groups))
	type group struct {
		key    uint64
		rows   int64
		counts map[uint32]int64
	}
	byKey := map[uint64]*group{}
	for i, g := range groups {
		keys[i] = h.Key(append([]byte{1}, strconv.FormatInt(g, 10)...))
		gr := byKey[keys[i]]
		if gr == nil {
			gr = &group{key: keys[i], counts: map[uint32]int64{}}
			byKey[keys[i]] = gr
		}
		gr.rows++
		gr.counts[classes[i]]++
	}
	sizes, err := splitter.StratifiedGroupSizes(splits, int64(len(groups)))
	if err != nil {
		t.Fatal(err)
	}
	s, err := splitter.NewStratifiedGroups(classRows, sizes)
	if err != nil {
		t.Fatal(err)
	}
	all := make([]*group, 0, len(byKey))
	for _, gr := range byKey {
		all = append(all, gr)
	}
	slices.SortFunc(all, func(a, b *group) int {
		return cmp.Or(cmp.Compare(splitter.GroupLevel(b.rows), splitter.GroupLevel(a.rows)), cmp.Compare(a.key, b.key))
	})
	split := map[uint64]uint8{}
	for _, gr := range all {
		cls := slices.Sorted(func(yield func(uint32) bool) {
			for c := range gr.counts {
				if !yield(c) {
					return
				}
			}
		})
		counts := make([]int64, len(cls))
		for k, c := range cls {
			counts[k] = gr.counts[c]
		}
		split[gr.key] = uint8(s.Place(cls, counts))
	}
	ids := make([]uint8, len(groups))
	for i, k := range keys {
		ids[i] = split[k]
	}
	return ids
}

// vectorSplits is the split list of a vector case; --kfold K stands for
// KFold's fold sizes as counts.
func vectorSplits(t *testing.T, option, value string, n int64) []splitter.Split {
	t.Helper()
	var splits []splitter.Split
	var err error
	switch option {
	case "--ratios":
		splits, err = splitter.ParseRatios(value)
	case "--sizes":
		splits, err = splitter.ParseSizes(value)
	case "--kfold":
		k, _ := strconv.ParseInt(value, 10, 64)
		for j := range k {
			size := n / k
			if j < n%k {
				size++
			}
			splits = append(splits, splitter.Split{Name: fmt.Sprintf("fold-%d", j), Rows: size})
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return splits
}

// errorsOf computes the class-share errors of ids over splits splits, as
// gen_stratgroup_vectors.py does.
func errorsOf(labels []string, ids []uint8, splits int) shareErrors {
	names := slices.Compact(slices.Sorted(slices.Values(labels)))
	m, n := len(names), float64(len(labels))
	total := make([]float64, m)
	x := make([][]float64, splits)
	for j := range x {
		x[j] = make([]float64, m)
	}
	for i, l := range labels {
		c, _ := slices.BinarySearch(names, l)
		total[c]++
		if int(ids[i]) < splits {
			x[ids[i]][c]++
		}
	}
	var e shareErrors
	var sum float64
	var count int
	for j := range x {
		var rows float64
		for _, v := range x[j] {
			rows += v
		}
		if rows == 0 {
			continue
		}
		for c := range m {
			d := math.Abs(x[j][c]/rows - total[c]/n)
			e.ShareMax = max(e.ShareMax, d)
			sum += d
			count++
		}
	}
	e.ShareMean = sum / float64(count)
	for c := range m {
		var mean, sq float64
		for j := range x {
			mean += x[j][c] / total[c]
		}
		mean /= float64(splits)
		for j := range x {
			d := x[j][c]/total[c] - mean
			sq += d * d
		}
		e.SklearnObjective += math.Sqrt(sq / float64(splits))
	}
	e.SklearnObjective /= float64(m)
	return e
}

// TestStratifiedGroupVectors checks the rule of section 17 against the
// assignments stratgroupv1.py computed, row by row.
func TestStratifiedGroupVectors(t *testing.T) {
	v := loadStratGroupVectors(t)
	for _, c := range v.Cases {
		t.Run(c.Data+c.Option+"="+c.Value, func(t *testing.T) {
			d := v.Datasets[c.Data]
			seed, _ := new(big.Int).SetString(c.Seed, 10)
			splits := vectorSplits(t, c.Option, c.Value, int64(len(d.Groups)))
			got := stratGroupAssign(t, seed, d.Groups, d.Classes, splits)
			if h := hex.EncodeToString(got); h != c.IDsHex {
				i := 0
				for i < len(h) && h[i] == c.IDsHex[i] {
					i++
				}
				t.Fatalf("seed %s: split ids differ from row %d on: got %s, want %s", c.Seed, i/2, h[i/2*2:min(len(h), i/2*2+20)], c.IDsHex[i/2*2:min(len(h), i/2*2+20)])
			}
		})
	}
}

// Margins of TestStratifiedGroupVersusSklearn. Over seeds 1..10 splitdata's
// mean class-share errors must not exceed those of scikit-learn 1.2's
// StratifiedGroupKFold with shuffle=True (its seeded mode, the one a
// seeded split is compared with) at all, nor those of its shuffle=False
// (which sorts every group exactly where splitdata sorts by level) by more
// than 10% plus 0.001: on the committed data ours is smaller than the
// shuffled sklearn's in every case, and within 8% of the unshuffled one but
// for one 75/25 split where both are below 0.001.
const (
	noShuffleFactor = 1.10
	noShuffleSlack  = 0.001
)

// TestStratifiedGroupVersusSklearn checks splitdata's class-share errors,
// recomputed from its rule over the vectors' seeds, against the committed
// figures and scikit-learn's.
func TestStratifiedGroupVersusSklearn(t *testing.T) {
	v := loadStratGroupVectors(t)
	seeds := v.Seeds
	if testing.Short() {
		seeds = 2
	}
	for _, c := range v.Cases {
		t.Run(c.Data+c.Option+"="+c.Value, func(t *testing.T) {
			d := v.Datasets[c.Data]
			splits := vectorSplits(t, c.Option, c.Value, int64(len(d.Groups)))
			var mean shareErrors
			for s := 1; s <= seeds; s++ {
				e := errorsOf(d.Classes, stratGroupAssign(t, big.NewInt(int64(s)), d.Groups, d.Classes, splits), len(splits))
				mean.ShareMax += e.ShareMax / float64(seeds)
				mean.ShareMean += e.ShareMean / float64(seeds)
				mean.SklearnObjective += e.SklearnObjective / float64(seeds)
			}
			if seeds == v.Seeds {
				for _, p := range [][2]float64{{mean.ShareMax, c.Ours.ShareMax}, {mean.ShareMean, c.Ours.ShareMean}, {mean.SklearnObjective, c.Ours.SklearnObjective}} {
					if math.Abs(p[0]-p[1]) > 1e-12 {
						t.Errorf("errors over seeds 1..%d: got %+v, the vectors have %+v", seeds, mean, c.Ours)
						break
					}
				}
			}
			if c.Sklearn == nil {
				return // scikit-learn has no counts
			}
			t.Logf("share_max: ours %.5f, sklearn %s shuffled %.5f, unshuffled %.5f", mean.ShareMax, v.SklearnVersion, c.Sklearn.ShareMax, c.SklearnNoShuffle.ShareMax)
			if c.Ours.ShareMax > c.Sklearn.ShareMax || c.Ours.ShareMean > c.Sklearn.ShareMean {
				t.Errorf("ours %+v, worse than scikit-learn's shuffled StratifiedGroupKFold %+v", c.Ours, *c.Sklearn)
			}
			ns := c.SklearnNoShuffle
			if c.Ours.ShareMax > noShuffleFactor*ns.ShareMax+noShuffleSlack || c.Ours.ShareMean > noShuffleFactor*ns.ShareMean+noShuffleSlack {
				t.Errorf("ours %+v, beyond %.2f times scikit-learn's unshuffled StratifiedGroupKFold %+v plus %v", c.Ours, noShuffleFactor, *ns, noShuffleSlack)
			}
		})
	}
}

func loadStratGroupVectors(t *testing.T) *stratGroupVectors {
	t.Helper()
	b, err := os.ReadFile("testdata/stratgroup_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	v := new(stratGroupVectors)
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
	if len(v.Cases) == 0 || v.Seeds == 0 {
		t.Fatal("testdata/stratgroup_vectors.json has no cases")
	}
	return v
}

// TestGroupLevel pins the levels of section 17 on the edges of each level.
func TestGroupLevel(t *testing.T) {
	for _, c := range []struct {
		size  int64
		level int
	}{
		{1, 4}, {2, 8}, {3, 10}, {4, 12}, {5, 13}, {6, 14}, {7, 15}, {8, 16}, {9, 16}, {10, 17},
		{15, 19}, {16, 20}, {1 << 40, 164}, {1<<63 - 1, splitter.MaxGroupLevel},
	} {
		if got := splitter.GroupLevel(c.size); got != c.level {
			t.Errorf("GroupLevel(%d) = %d, want %d", c.size, got, c.level)
		}
	}
}

// TestNewStratifiedGroupsRefuses checks the refusals of bad counts.
func TestNewStratifiedGroupsRefuses(t *testing.T) {
	for _, c := range []struct {
		name           string
		classes, sizes []int64
	}{
		{"sums differ", []int64{3, 4}, []int64{5, 1}},
		{"negative class", []int64{-1, 4}, []int64{3}},
		{"no splits", []int64{3}, nil},
		{"too many classes", make([]int64, splitter.MaxStratifiedGroupClasses+1), []int64{0}},
		{"2^53 rows", []int64{1 << 53}, []int64{1 << 53}},
	} {
		if _, err := splitter.NewStratifiedGroups(c.classes, c.sizes); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}
