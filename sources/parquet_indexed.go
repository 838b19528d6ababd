package sources

import (
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/splitdata/splitdata/internal/columnar"
)

// Dictionary-encoded pages. A page of dictionary indexes is expanded into
// the batch's column from the chunk's dictionary (a required column of
// the values). For a page of fixed-width values without nulls (the
// dictionary-encoded numbers and timestamps Polars and DuckDB write), the
// indexes are checked against the dictionary's size and gathered into
// scratch memory, in typed loops for 4- and 8-byte values, and appended
// as a plain page's values are, in one copy: appending them one at a time
// ([columnar.Column.AppendIndexed]) took a runtime call per value. Pages
// with nulls, whose values are spread between null slots anyway, and
// byte arrays, copied value by value either way, go through
// AppendIndexed.

// gather holds scratch for expanding dictionary indexes, for one
// goroutine.
type gather struct {
	fixed []byte
}

// gathers keeps the scratch of finished reads for the next: a unit's
// pages are read in a few milliseconds, and fresh scratch for every unit
// cost more than the gather saved. Scratch above maxGatherScratch bytes
// is dropped instead of kept.
var gathers = sync.Pool{New: func() any { return new(gather) }}

// maxGatherScratch is the most scratch bytes a pooled gather keeps.
const maxGatherScratch = 4 << 20

// getGather returns scratch for one goroutine's read; putGather it after.
func getGather() *gather { return gathers.Get().(*gather) }

// putGather returns g to the pool, or drops it when it grew large.
func putGather(g *gather) {
	if cap(g.fixed) > maxGatherScratch {
		return
	}
	gathers.Put(g)
}

// appendIndexed appends the n rows of a page whose definition levels are
// defs and whose defined rows hold indexes into dict, to col, as
// [columnar.Column.AppendIndexed] does.
func (g *gather) appendIndexed(col *columnar.Column, n int, defs []byte, indexes []int32, dict *columnar.Column) error {
	w := col.Width
	if w == 0 || len(indexes) != n || dict.Kind != col.Kind || dict.Width != w {
		return col.AppendIndexed(n, defs, indexes, dict)
	}
	size := dict.Rows()
	for _, x := range indexes {
		if x < 0 || int(x) >= size {
			return fmt.Errorf("dictionary index %d out of range [0, %d)", x, size)
		}
	}
	g.fixed = gatherFixed(g.fixed[:0], indexes, dict.Fixed, w)
	return col.AppendFixed(n, defs, g.fixed)
}

// gatherFixed appends to dst the w-byte values of dict (end to end) at
// indexes, which are in range.
func gatherFixed(dst []byte, indexes []int32, dict []byte, w int) []byte {
	at := len(dst)
	if need := at + len(indexes)*w; cap(dst) < need {
		grown := make([]byte, at, max(2*cap(dst), need))
		copy(grown, dst)
		dst = grown
	}
	dst = dst[:at+len(indexes)*w]
	out := dst[at:]
	switch w {
	case 8:
		for i, x := range indexes {
			binary.LittleEndian.PutUint64(out[8*i:], binary.LittleEndian.Uint64(dict[8*int(x):]))
		}
	case 4:
		for i, x := range indexes {
			binary.LittleEndian.PutUint32(out[4*i:], binary.LittleEndian.Uint32(dict[4*int(x):]))
		}
	default:
		for i, x := range indexes {
			copy(out[w*i:w*i+w], dict[w*int(x):])
		}
	}
	return dst
}
