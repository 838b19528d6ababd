package pipeline

import (
	"cmp"
	"slices"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// rowHeaderBytes is the memory of a parquet.Row slice header, plus a key
// and an index when shuffling.
const rowHeaderBytes = 24 + 16

// shuffled is a split's rows held for ordering: all of them, with their
// canonical-order keys. The rows are rows, or on the columnar path the
// rows refs names among batches.
type shuffled struct {
	rows    []parquet.Row
	batches []*columnar.Batch
	refs    []columnar.Ref
	keys    []uint64
	index   []int64
}

// order returns the held rows' places sorted by (key, global row index).
func (h *shuffled) order() []orderEntry {
	es := make([]orderEntry, len(h.keys))
	for k := range es {
		es[k] = orderEntry{h.keys[k], h.index[k], k}
	}
	sortEntries(es)
	return es
}

// canonicalOrder returns the held rows in canonical order.
func (h *shuffled) canonicalOrder() []parquet.Row {
	es := h.order()
	out := make([]parquet.Row, len(es))
	for k, e := range es {
		out[k] = h.rows[e.at]
	}
	return out
}

// canonicalRefs returns the held batches' rows in canonical order.
func (h *shuffled) canonicalRefs() []columnar.Ref {
	es := h.order()
	out := make([]columnar.Ref, len(es))
	for k, e := range es {
		out[k] = h.refs[e.at]
	}
	return out
}

// holdBatch adds a batch of rows with their keys and indices.
func (h *shuffled) holdBatch(b *columnar.Batch, keys []uint64, index []int64) {
	at := int32(len(h.batches))
	h.batches = append(h.batches, b)
	for r := range b.Len {
		h.refs = append(h.refs, columnar.Ref{Batch: at, Row: int32(r)})
	}
	h.keys = append(h.keys, keys...)
	h.index = append(h.index, index...)
}

// orderEntry is a held row's place in canonical order: its key, its global
// row index and where it is held.
type orderEntry struct {
	key   uint64
	index int64
	at    int
}

// sortEntries sorts es by (key, index). Large inputs go through a least
// significant digit radix sort on the keys, 8 bits a pass, skipping the
// digits all keys share (a spilled partition's top bits), after a sort by
// index: the radix passes are stable, so equal keys stay in index order.
// Small inputs use a comparison sort.
func sortEntries(es []orderEntry) {
	byIndex := func(a, b orderEntry) int { return cmp.Compare(a.index, b.index) }
	if len(es) < 1<<12 {
		slices.SortFunc(es, func(a, b orderEntry) int {
			return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.index, b.index))
		})
		return
	}
	if !slices.IsSortedFunc(es, byIndex) { // held rows usually arrive in index order
		slices.SortStableFunc(es, byIndex)
	}
	tmp := make([]orderEntry, len(es))
	src, dst := es, tmp
	for shift := uint(0); shift < 64; shift += 8 {
		var count [256]int
		for _, e := range src {
			count[byte(e.key>>shift)]++
		}
		if count[byte(src[0].key>>shift)] == len(src) {
			continue // every key has this digit
		}
		pos := 0
		for d, c := range count {
			count[d] = pos
			pos += c
		}
		for _, e := range src {
			d := byte(e.key >> shift)
			dst[count[d]] = e
			count[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &es[0] {
		copy(es, src)
	}
}
