package pipeline_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
)

// userSplits maps each user_id of a split output to the split it is in,
// failing on a user found in two splits (leakage).
func userSplits(t *testing.T, out string, m *pipeline.Manifest) map[int64]int {
	t.Helper()
	users := map[int64]int{}
	for s, info := range m.Splits {
		for _, u := range readColumn(t, out, info, "user_id") {
			if prev, ok := users[u]; ok && prev != s {
				t.Fatalf("user %d in splits %d and %d", u, prev, s)
			}
			users[u] = s
		}
	}
	return users
}

func TestSplitGroup(t *testing.T) {
	splits := mustRatios(t, "train=0.7,valid=0.2,test=0.1")
	small := genInput(t, 4_000, 2, 500)
	big := genInput(t, 9_000, 4, 700) // another dataset: more rows, more users
	run := func(in string, workers int) (map[int64]int, *pipeline.Manifest) {
		out := filepath.Join(t.TempDir(), "out")
		m := runSplit(t, pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "77", Splits: splits, Group: "user_id", JobOptions: pipeline.JobOptions{Workers: workers}})
		if _, err := pipeline.VerifyWithInputs(t.Context(), out, []string{in}); err != nil {
			t.Fatal(err)
		}
		return userSplits(t, out, m), m
	}
	a, ma := run(small, 1)
	_, ma3 := run(small, 3)
	if fingerprint(ma) != fingerprint(ma3) {
		t.Error("workers 1 and 3 give different bytes")
	}
	if ma.Options.Group != "user_id" || !ma.Options.Approx {
		t.Errorf("manifest options %+v", ma.Options)
	}
	b, _ := run(big, 2)
	// A group's split depends on (seed, value) only: the same user lands in
	// the same split in both datasets, and where the definition says.
	mac := hmac.New(sha256.New, []byte("77"))
	common := 0
	for u, s := range a {
		if sb, ok := b[u]; ok {
			common++
			if sb != s {
				t.Fatalf("user %d moved from split %d to %d when rows were added", u, s, sb)
			}
		}
		mac.Reset()
		mac.Write(append([]byte{1}, strconv.FormatInt(u, 10)...))
		key := binary.BigEndian.Uint64(mac.Sum(nil))
		want := 2
		if key < uint64(math.Ldexp(0.7, 64)) {
			want = 0
		} else if key < uint64(math.Ldexp(0.7+0.2, 64)) {
			want = 1
		}
		if s != want {
			t.Fatalf("user %d (key %d) in split %d, the definition says %d", u, key, s, want)
		}
	}
	if common < 100 {
		t.Fatalf("only %d users in common: the stability check proves little", common)
	}

	for _, bad := range []pipeline.SplitConfig{
		{Group: "nope"}, {Group: "x1"}, {Group: "user_id", Splits: mustSizes(t, "a=10,b=20")}, {Group: "user_id", IndexOnly: true},
	} {
		bad.Inputs, bad.Out, bad.Seed = []string{small}, filepath.Join(t.TempDir(), "out"), "1"
		if _, err := pipeline.Split(t.Context(), bad); !errors.Is(err, pipeline.ErrUsage) {
			t.Errorf("%+v: err = %v, want a usage error", bad, err)
		}
	}
}
