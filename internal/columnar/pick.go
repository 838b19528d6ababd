package columnar

import (
	"encoding/binary"
	"math"
	"slices"

	"github.com/parquet-go/parquet-go"
)

// Rows is rows an encoder reads column by column, in order: a [*Batch], or
// a [*Pick] of rows out of batches, read in place.
type Rows interface {
	// NumRows returns the number of rows.
	NumRows() int
	// AppendValues appends the values of rows [lo, hi) of column c to dst
	// and returns the extended slice, as [Batch.AppendValues] does.
	AppendValues(dst []parquet.Value, c, lo, hi int) []parquet.Value
	// AppendFixed appends the definition levels of rows [lo, hi) of
	// fixed-width column c to defs and the bytes of their non-null
	// values to vals, as [Batch.AppendFixed] does.
	AppendFixed(defs, vals []byte, c, lo, hi int) ([]byte, []byte)
	// AppendPlain appends the definition levels of rows [lo, hi) of
	// ByteArray column c to defs and their non-null values, PLAIN
	// encoded, to vals, as [Batch.AppendPlain] does.
	AppendPlain(defs, vals []byte, c, lo, hi int) ([]byte, []byte)
	// Batches returns the batches holding the rows' values.
	Batches() []*Batch
}

// NumRows returns b.Len.
func (b *Batch) NumRows() int { return b.Len }

// Batches returns b itself.
func (b *Batch) Batches() []*Batch { return []*Batch{b} }

// SliceRows returns rows [lo, hi) of r, sharing its memory.
func SliceRows(r Rows, lo, hi int) Rows {
	switch r := r.(type) {
	case *Batch:
		return r.Slice(lo, hi)
	case *Pick:
		return r.Slice(lo, hi)
	}
	panic("columnar: SliceRows of an unknown Rows")
}

// Pick is rows picked out of batches without copying them: its row k is
// the row its k-th [Ref] names. Where a split or a
// shuffle would gather rows into a batch of their own only to hand them to
// the encoder, a pick lets the encoder read them where they are; the
// batches must stay unchanged while the pick is in use.
type Pick struct {
	srcs []*Batch
	refs []Ref
	cols [][]*Column // [column][batch], shared by slices
	// full says per column that every row of every batch has a value:
	// its levels need not be read per row.
	full []bool
}

// NewPick returns the rows refs names among srcs, which must share a
// layout. It panics if a reference is out of range.
func NewPick(srcs []*Batch, refs []Ref) *Pick {
	for _, ref := range refs {
		if int(ref.Batch) >= len(srcs) || int(ref.Row) >= srcs[ref.Batch].Len || ref.Row < 0 {
			panic("columnar: Pick reference out of range")
		}
	}
	p := &Pick{srcs: srcs, refs: refs}
	if len(srcs) > 0 {
		p.cols = make([][]*Column, len(srcs[0].Cols))
		p.full = make([]bool, len(srcs[0].Cols))
		for c := range p.cols {
			p.cols[c] = make([]*Column, len(srcs))
			full := srcs[0].Cols[c].MaxDef > 0
			for k, src := range srcs {
				col := &src.Cols[c]
				p.cols[c][k] = col
				full = full && allAt(col.Defs[:src.Len], col.MaxDef)
			}
			p.full[c] = full
		}
	}
	return p
}

// View returns rows sel[0], sel[1], ... of b without copying them, as
// b.Slice when they are one run of consecutive rows, else as a [Pick].
func (b *Batch) View(sel []int32) Rows {
	if isRun(sel) {
		return b.Slice(int(sel[0]), int(sel[0])+len(sel))
	}
	return PickRows(b, sel)
}

// PickRows returns rows sel[0], sel[1], ... of b: b.Take(sel) without the
// copy.
func PickRows(b *Batch, sel []int32) *Pick {
	refs := make([]Ref, len(sel))
	for k, r := range sel {
		refs[k] = Ref{Row: r}
	}
	return NewPick([]*Batch{b}, refs)
}

// noNulls reports whether optional column c has no null in the rows p
// picks from, so that its levels need not be read per row.
func (p *Pick) noNulls(c int) bool { return p.full != nil && p.full[c] }

// NumRows returns the number of rows picked.
func (p *Pick) NumRows() int { return len(p.refs) }

// Batches returns the batches the rows are picked from.
func (p *Pick) Batches() []*Batch { return p.srcs }

// Slice returns rows [lo, hi) of p, sharing its batches.
func (p *Pick) Slice(lo, hi int) *Pick {
	return &Pick{srcs: p.srcs, refs: p.refs[lo:hi:hi], cols: p.cols, full: p.full}
}

// AppendValues appends the values of rows [lo, hi) of column c to dst, as
// [Batch.AppendValues] makes them, and returns the extended slice.
func (p *Pick) AppendValues(dst []parquet.Value, c, lo, hi int) []parquet.Value {
	if lo == hi {
		return dst
	}
	cols, refs := p.cols[c], p.refs[lo:hi]
	at := len(dst)
	dst = slices.Grow(dst, hi-lo)[:at+hi-lo]
	vals := dst[at:]
	// As in Batch.AppendValues, levels are set in place.
	t := cols[0].Type
	switch t.Kind {
	case parquet.Int64:
		for k, ref := range refs {
			vals[k] = parquet.Int64Value(int64(binary.LittleEndian.Uint64(cols[ref.Batch].Fixed[8*int(ref.Row):])))
			vals[k].SetColumnIndex(c)
		}
	case parquet.Double:
		for k, ref := range refs {
			vals[k] = parquet.DoubleValue(math.Float64frombits(binary.LittleEndian.Uint64(cols[ref.Batch].Fixed[8*int(ref.Row):])))
			vals[k].SetColumnIndex(c)
		}
	case parquet.Int32:
		for k, ref := range refs {
			vals[k] = parquet.Int32Value(int32(binary.LittleEndian.Uint32(cols[ref.Batch].Fixed[4*int(ref.Row):])))
			vals[k].SetColumnIndex(c)
		}
	case parquet.ByteArray:
		for k, ref := range refs {
			col := cols[ref.Batch]
			s, e := col.Offsets[ref.Row], col.Offsets[ref.Row+1]
			vals[k] = parquet.ByteArrayValue(col.Bytes[s:e:e])
			vals[k].SetColumnIndex(c)
		}
	default:
		for k, ref := range refs {
			vals[k] = p.srcs[ref.Batch].Value(c, int(ref.Row))
		}
	}
	if t.MaxDef == 0 {
		return dst
	}
	for k, ref := range refs {
		d := cols[ref.Batch].Defs[ref.Row]
		v := &vals[k]
		if d < t.MaxDef {
			*v = parquet.NullValue()
			v.SetColumnIndex(c)
		}
		v.SetDefinitionLevel(int(d))
	}
	return dst
}
