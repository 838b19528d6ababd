package pipeline

import (
	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/internal/extsort"
)

// rowHeaderBytes is the memory of a parquet.Row slice header, plus a key
// and an index when shuffling.
const rowHeaderBytes = 24 + 16

// shuffled is a split's rows held for ordering: all of them, with their
// canonical-order keys. The rows are rows, or on the columnar path the
// rows refs names among batches. Their keys and indices are keys and
// index, or entries (a spilled partition read back: extsort.Run).
type shuffled struct {
	rows    []parquet.Row
	batches []*columnar.Batch
	refs    []columnar.Ref
	keys    []uint64
	index   []int64
	entries []extsort.Entry
	sorter  *extsort.Sorter // sorts entries, when set
}

// order returns the held rows' places sorted by (key, global row index).
func (h *shuffled) order() []extsort.Entry {
	es := h.entries
	if es == nil {
		es = make([]extsort.Entry, len(h.keys))
		for k := range es {
			es[k] = extsort.Entry{Key: h.keys[k], Index: h.index[k], At: k}
		}
	}
	if h.sorter != nil {
		h.sorter.Sort(es)
	} else {
		extsort.Sort(es)
	}
	return es
}

// canonicalOrder returns the held rows in canonical order.
func (h *shuffled) canonicalOrder() []parquet.Row {
	es := h.order()
	out := make([]parquet.Row, len(es))
	for k, e := range es {
		out[k] = h.rows[e.At]
	}
	return out
}

// canonicalRefs returns the held batches' rows in canonical order.
func (h *shuffled) canonicalRefs() []columnar.Ref {
	es := h.order()
	out := make([]columnar.Ref, len(es))
	for k, e := range es {
		out[k] = h.refs[e.At]
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
