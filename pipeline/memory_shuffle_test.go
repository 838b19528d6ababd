package pipeline

import (
	"errors"
	"regexp"
	"strconv"
	"testing"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/internal/scratch"
)

// A spilling shuffle holds two partitions at once (the one being cut and
// the one loading) and keeps free partition buffers, at most
// runBuffersBound of its memory, which is the bound its orderer's list
// gets: partitions are sized so that the three fit in the shuffle's
// memory. Sizing them at half of it (as up to session 17) makes the small
// budgets' rows fail; a refusal quotes a --memory whose share fits.
func TestShuffleCountsFreeBuffers(t *testing.T) {
	for _, tc := range []struct {
		bytes, memory int64
		splits        int
	}{
		{10_000, 1000, 1},
		{200 << 20, 24 << 20, 1},
		{300 << 20, 40 << 20, 2},
		{2 << 30, 100 << 20, 2},
		{900 << 20, 105 << 20, 2}, // mixed under the default budget
		{1 << 40, 1 << 29, 2},     // refused
		{40 << 30, 64 << 20, 3},   // refused
	} {
		p, err := shufflePartitions(tc.bytes, tc.memory, tc.splits)
		if errors.Is(err, ErrTooLarge) {
			m := regexp.MustCompile(`at least (\d+) MiB`).FindStringSubmatch(err.Error())
			if m == nil {
				t.Fatalf("%+v: %v: no --memory quoted", tc, err)
			}
			quoted, _ := strconv.ParseInt(m[1], 10, 64)
			if _, err := shufflePartitions(tc.bytes, shuffleShare(quoted<<20, nil), tc.splits); err != nil {
				t.Errorf("%+v: the quoted --memory %d MiB is refused too: %v", tc, quoted, err)
			}
			continue
		}
		if err != nil || p <= 1 {
			t.Fatalf("%+v: %d partitions, %v", tc, p, err)
		}
		part := (tc.bytes + int64(p) - 1) / int64(p)
		if free := runBuffersBound(tc.memory); 2*part+free > tc.memory {
			t.Errorf("%+v: %d partitions of %d bytes, two and %d of free buffers exceed the shuffle's %d", tc, p, part, free, tc.memory)
		}
		o, ok := newOrderer(true, p, tc.splits, tc.memory, scratch.Local(t.TempDir()), true, columnar.Layout{}).(*spillShuffle)
		if !ok {
			t.Fatalf("%+v: not a spilling shuffle", tc)
		}
		if o.runs.most != runBuffersBound(tc.memory) {
			t.Errorf("%+v: the orderer keeps %d bytes of free buffers, the plan counts %d", tc, o.runs.most, runBuffersBound(tc.memory))
		}
		o.close()
	}
	for _, part := range []int64{1, 1000, 8 << 20, 24 << 20, 24<<20 + 1, 1 << 30} {
		m := shuffleMemoryFor(part)
		if m-runBuffersBound(m) < 2*part || m-1-runBuffersBound(m-1) >= 2*part {
			t.Errorf("shuffleMemoryFor(%d) = %d, not the least memory holding two partitions and the free buffers", part, m)
		}
	}
}
