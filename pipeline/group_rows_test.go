package pipeline_test

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/splitter"
)

// TestGroupRatioByRows checks --group --ratio-by rows against the rule of
// docs/algorithm.md section 14, computed here from scratch: rows in (group
// key, i) order, a group in split j iff its first row's rank lies in
// [c(j-1), c(j)). Also: no leakage, the same bytes for any workers and
// chunking, verify.
func TestGroupRatioByRows(t *testing.T) {
	const n = 6_000
	splits := mustRatios(t, "train=0.7,valid=0.2,test=0.1")
	mac := hmac.New(sha256.New, []byte("31"))
	key := func(user int64) uint64 {
		mac.Reset()
		mac.Write(append([]byte{1}, strconv.FormatInt(user, 10)...))
		return binary.BigEndian.Uint64(mac.Sum(nil))
	}
	var first string
	for i, layout := range []struct {
		files   int
		rg      int64
		workers int
	}{{1, 6_000, 1}, {3, 400, 2}, {5, 77, 3}} {
		in := genInput(t, n, layout.files, layout.rg)
		out := filepath.Join(t.TempDir(), "out")
		m := runSplit(t, pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "31", Splits: splits, Group: "user_id", RatioBy: pipeline.RatioByRows,
			JobOptions: pipeline.JobOptions{Workers: layout.workers}})
		if i > 0 {
			if fingerprint(m) != first {
				t.Fatalf("layout %+v: different bytes", layout)
			}
			continue
		}
		first = fingerprint(m)
		if m.Options.Approx || m.Options.RatioBy != pipeline.RatioByRows {
			t.Errorf("manifest options %+v", m.Options)
		}
		got := userSplits(t, out, m) // fails on leakage
		// The rule, from scratch.
		type row struct {
			key  uint64
			i    int64
			user int64
		}
		var rows []row
		for s := range m.Splits {
			ids := readIDs(t, out, m.Splits[s])
			for k, u := range readColumn(t, out, m.Splits[s], "user_id") {
				rows = append(rows, row{key(u), ids[k], u})
			}
		}
		if len(rows) != n {
			t.Fatalf("%d rows written, want %d", len(rows), n)
		}
		slices.SortFunc(rows, func(a, b row) int { return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.i, b.i)) })
		sizes, err := splitter.Sizes(splits, n)
		if err != nil {
			t.Fatal(err)
		}
		want := map[int64]int{}
		for rank, r := range rows {
			if _, seen := want[r.user]; seen {
				continue
			}
			j, c := 0, sizes[0]
			for int64(rank) >= c {
				j++
				c += sizes[j]
			}
			want[r.user] = j
		}
		for u, s := range want {
			if got[u] != s {
				t.Fatalf("user %d in split %d, the rule puts it in %d", u, got[u], s)
			}
		}
		if _, err := pipeline.VerifyWithInputs(t.Context(), out, []string{in}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGroupNullValues checks that null group values form one group, and
// that --ratio-by needs --group.
func TestGroupNullValues(t *testing.T) {
	str := func(s string) *string { return &s }
	classOf := func(i int) *string {
		if i%4 == 0 {
			return nil
		}
		return str(strconv.Itoa(i % 37))
	}
	in := writeStratInput(t, 3_000, 1_000, 300, classOf)
	for _, ratioBy := range []string{"", pipeline.RatioByRows} {
		out := filepath.Join(t.TempDir(), "out")
		m := runSplit(t, pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "3", Group: "class", RatioBy: ratioBy})
		nullSplit := -1
		for s, info := range m.Splits {
			for _, id := range readIDs(t, out, info) {
				if id%4 != 0 {
					continue
				}
				if nullSplit >= 0 && nullSplit != s {
					t.Fatalf("ratio-by %q: null group in splits %d and %d", ratioBy, nullSplit, s)
				}
				nullSplit = s
			}
		}
		if nullSplit < 0 {
			t.Fatalf("ratio-by %q: the null group is nowhere", ratioBy)
		}
	}
	_, err := pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{in}, Out: filepath.Join(t.TempDir(), "x"), Seed: "1", RatioBy: pipeline.RatioByRows})
	if !errors.Is(err, pipeline.ErrUsage) {
		t.Errorf("--ratio-by without --group: err = %v, want a usage error", err)
	}
}

// TestKFoldGroup checks grouped k-fold, by groups and by rows: no user in
// two folds, every row in one fold, verify.
func TestKFoldGroup(t *testing.T) {
	in := genInput(t, 3_000, 2, 400)
	for _, ratioBy := range []string{"", pipeline.RatioByRows} {
		out := filepath.Join(t.TempDir(), "folds")
		m, err := pipeline.KFold(t.Context(), pipeline.KFoldConfig{Inputs: []string{in}, Out: out, Seed: "4", K: 4, Group: "user_id", RatioBy: ratioBy})
		if err != nil {
			t.Fatalf("ratio-by %q: %v", ratioBy, err)
		}
		if len(m.Splits) != 4 {
			t.Fatalf("%d folds", len(m.Splits))
		}
		userSplits(t, out, m) // fails on leakage
		var rows int64
		for _, s := range m.Splits {
			rows += s.Rows
		}
		if rows != 3_000 {
			t.Fatalf("ratio-by %q: %d rows in the folds, want 3000", ratioBy, rows)
		}
		if _, err := pipeline.VerifyWithInputs(t.Context(), out, []string{in}); err != nil {
			t.Fatal(err)
		}
	}
}
