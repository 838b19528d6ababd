package columnar

import (
	"encoding/binary"
	"slices"
)

// The page appends of a pick from several batches (a shuffle's partition
// read back from its spill files, the in-memory shuffle's units): the
// loops of gather.go with the batch looked up per row. Appended value by
// value (append of 8 bytes, a call to memmove each), the fixed-width
// columns of a spilled shuffle of the mixed shape took about 5% of its
// CPU in memmove alone.

// pickRefs8 stores the 8-byte values of rows refs of cols into out.
//
//go:noinline
func pickRefs8(out []byte, cols []*Column, refs []Ref) {
	for _, ref := range refs {
		at := 8 * int(ref.Row)
		binary.LittleEndian.PutUint64(out, binary.LittleEndian.Uint64(cols[ref.Batch].Fixed[at:at+8]))
		out = out[8:]
	}
}

// pickRefs4 is pickRefs8 for 4-byte values.
//
//go:noinline
func pickRefs4(out []byte, cols []*Column, refs []Ref) {
	for _, ref := range refs {
		at := 4 * int(ref.Row)
		binary.LittleEndian.PutUint32(out, binary.LittleEndian.Uint32(cols[ref.Batch].Fixed[at:at+4]))
		out = out[4:]
	}
}

// pickRefsDefs8 stores the definition levels of rows refs of cols, an
// optional column, into levels and the 8-byte values of those whose
// levels are maxDef into out, and returns the bytes of values kept. A
// null row's value slot is stored too, and overwritten by the next value
// (a batch keeps a slot for every row).
//
//go:noinline
func pickRefsDefs8(out, levels []byte, cols []*Column, refs []Ref, maxDef byte) int {
	j := 0
	levels = levels[:len(refs)]
	for k, ref := range refs {
		col := cols[ref.Batch]
		d := col.Defs[ref.Row]
		levels[k] = d
		at := 8 * int(ref.Row)
		binary.LittleEndian.PutUint64(out[j:], binary.LittleEndian.Uint64(col.Fixed[at:at+8]))
		j += 8 & -present(d, maxDef)
	}
	return j
}

// pickRefsDefs4 is pickRefsDefs8 for 4-byte values.
//
//go:noinline
func pickRefsDefs4(out, levels []byte, cols []*Column, refs []Ref, maxDef byte) int {
	j := 0
	levels = levels[:len(refs)]
	for k, ref := range refs {
		col := cols[ref.Batch]
		d := col.Defs[ref.Row]
		levels[k] = d
		at := 4 * int(ref.Row)
		binary.LittleEndian.PutUint32(out[j:], binary.LittleEndian.Uint32(col.Fixed[at:at+4]))
		j += 4 & -present(d, maxDef)
	}
	return j
}

// pickFixed appends the values of rows refs of cols, of width w (8 or
// 4), to vals and their levels to defs (none for a required column; all
// maxDef when full), as [Pick.AppendFixed].
func pickFixed(defs, vals []byte, cols []*Column, refs []Ref, w int, maxDef byte, full bool) ([]byte, []byte) {
	at := len(vals)
	vals = extendBy(vals, w*len(refs))
	dat := len(defs)
	if maxDef > 0 {
		defs = extendBy(defs, len(refs))
	}
	if maxDef == 0 || full {
		fillLevels(defs[dat:], maxDef)
		if w == 8 {
			pickRefs8(vals[at:], cols, refs)
		} else {
			pickRefs4(vals[at:], cols, refs)
		}
		return defs, vals
	}
	var n int
	if w == 8 {
		n = pickRefsDefs8(vals[at:], defs[dat:], cols, refs, maxDef)
	} else {
		n = pickRefsDefs4(vals[at:], defs[dat:], cols, refs, maxDef)
	}
	return defs, vals[:at+n]
}

// pickBlock is how many rows pickPlainRefs looks up before it copies
// their values.
const pickBlock = 32

// pickPlainRefs is pickPlain for rows of several batches, pickBlock rows
// at a time: first their values' offsets are read, then the first byte of
// each value is loaded, then the values are copied. The rows of a
// shuffle's partition are far apart, each a cache miss on its offsets and
// another on its bytes, the second waiting for the first; looked up in
// passes, the misses of a block overlap, where the copy of each value (a
// memmove call) kept the next row's lookup waiting: on a spilled shuffle
// of the mixed shape, the samples in these appends went from about 300 to
// 200 (perf at 999 Hz, of about 3,500). It returns the bytes loaded,
// folded, so that their loads are kept; the caller drops them.
//
//go:noinline
func pickPlainRefs(vals []byte, cols []*Column, refs []Ref, nulls bool) ([]byte, byte) {
	var lo, hi [pickBlock]uint32
	var from [pickBlock]*Column
	var touch byte
	for len(refs) > 0 {
		blk := refs[:min(pickBlock, len(refs))]
		refs = refs[len(blk):]
		m, need := 0, 0
		for _, ref := range blk {
			col := cols[ref.Batch]
			if nulls && col.Defs[ref.Row] < col.MaxDef {
				continue // null
			}
			s, e := col.Offsets[ref.Row], col.Offsets[ref.Row+1]
			lo[m], hi[m], from[m] = s, e, col
			need += int(e - s)
			m++
		}
		for i := range m {
			if lo[i] < hi[i] {
				touch ^= from[i].Bytes[lo[i]]
			}
		}
		if cap(vals)-len(vals) < 4*m+need+shortPlain {
			vals = slices.Grow(vals, 4*m+need+shortPlain)
		}
		for i := range m {
			vals = putPlain(vals, from[i].Bytes, lo[i], hi[i])
		}
	}
	return vals, touch
}
