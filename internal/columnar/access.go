package columnar

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"unsafe"
)

// Chunk is some rows of one column laid out for typed loops: a reader
// that summarizes values (moments, counts, hashes) walks a chunk's
// []int64, []float64 or byte array offsets rather than one
// parquet.Value per row.
//
// Rows of a [*Batch] are read in place: the chunk's Column then shares the
// batch's memory, which must not change while the chunk is in use. Picked
// rows ([*Pick]) are gathered into buffers the chunk keeps and reuses from
// one [Chunk.Read] to the next, so reading a column chunk by chunk
// allocates only while they grow; [Chunk.ReadView] views picked byte
// arrays in their batches instead, for readers of [Chunk.Value] only.
//
// The zero value is an empty chunk, ready for Read. A Chunk is for one
// goroutine at a time.
type Chunk struct {
	// Column holds the rows read: row k is null when Defs is not nil and
	// Defs[k] < MaxDef; a null's fixed-width slot is zero, its byte array
	// empty. A ByteArray row k is Bytes[Offsets[k]:Offsets[k+1]]: the
	// offsets of rows read in place are the batch's, not rebased to 0.
	Column
	// N is the number of rows read.
	N int

	// The chunk's own memory, which picked rows are gathered into.
	defs, fixed, bytes []byte
	offsets            []uint32
	// Typed copies of Fixed, for the accessors when Fixed cannot be
	// viewed in place (a big-endian machine, or unaligned memory).
	i64 []int64
	i32 []int32
	f64 []float64
	f32 []float32
	// Picked rows' batches' values viewed as numbers, for the gather.
	views8 [][]uint64
	views4 [][]uint32
	// picked is, after ReadView of picked byte arrays, each row's bytes
	// in its batch (nil otherwise); pickedBuf keeps its memory.
	picked, pickedBuf [][]byte
}

// Read sets ch to rows [lo, hi) of column c of r. Rows of a [*Batch] are
// read in place, picked rows are gathered. Picked byte arrays of more than
// 4 GiB in all, which the chunk's 32-bit offsets cannot address, are an
// error wrapping [ErrTooLarge], and ch is then an empty chunk. It panics
// if the range or c is out of range, or r is neither.
func (ch *Chunk) Read(r Rows, c, lo, hi int) error {
	return ch.read(r, c, lo, hi, false)
}

// ReadView is [Chunk.Read] for a reader that only reads the rows' byte
// arrays through [Chunk.Value]: picked byte arrays are not gathered but
// viewed where their batches hold them, each row's bytes in its own
// batch, so it neither copies them nor fails. After it, a ByteArray
// chunk of picked rows has no Offsets or Bytes (nil); rows of a [*Batch]
// are read as Read reads them. The views refer to the batches' memory,
// which must not change while the chunk is in use.
func (ch *Chunk) ReadView(r Rows, c, lo, hi int) {
	// A view never fails: each row's bytes are addressed in its batch,
	// whose own offsets address them.
	_ = ch.read(r, c, lo, hi, true)
}

func (ch *Chunk) read(r Rows, c, lo, hi int, view bool) error {
	ch.picked = nil
	switch r := r.(type) {
	case *Batch:
		ch.readBatch(r, c, lo, hi)
		return nil
	case *Pick:
		return ch.readPick(r, c, lo, hi, view)
	default:
		panic("columnar: Chunk.Read of an unknown Rows")
	}
}

// chunkMaxBytes is the most byte array bytes a chunk gathers: maxBytes,
// lowered by tests.
var chunkMaxBytes int64 = maxBytes

func (ch *Chunk) readBatch(b *Batch, c, lo, hi int) {
	src := &b.Cols[c]
	ch.N = hi - lo
	ch.Column = Column{Type: src.Type}
	if lo == hi {
		// An empty batch's byte array offsets may be empty too.
		return
	}
	if src.Defs != nil {
		ch.Defs = src.Defs[lo:hi:hi]
	}
	if src.Width == 0 {
		ch.Offsets = src.Offsets[lo : hi+1 : hi+1]
		ch.Bytes = src.Bytes
		return
	}
	w := src.Width
	ch.Fixed = src.Fixed[lo*w : hi*w : hi*w]
}

func (ch *Chunk) readPick(p *Pick, c, lo, hi int, view bool) error {
	ch.N = hi - lo
	if lo == hi {
		ch.Column = Column{}
		if len(p.cols) > 0 {
			ch.Type = p.cols[c][0].Type
		}
		return nil
	}
	cols, refs := p.cols[c], p.refs[lo:hi]
	t := cols[0].Type
	ch.Column = Column{Type: t}
	if t.Width == 0 && !view {
		// The rows' bytes are counted first: more than the offsets
		// address is refused before any is copied, and the chunk's
		// memory grows once.
		total := int64(0)
		for _, ref := range refs {
			col := cols[ref.Batch]
			total += int64(col.Offsets[ref.Row+1] - col.Offsets[ref.Row])
		}
		if total > chunkMaxBytes {
			ch.N = 0
			return fmt.Errorf("column %d, rows [%d, %d): %d bytes: %w", c, lo, hi, total, ErrTooLarge)
		}
		ch.bytes = slices.Grow(ch.bytes[:0], int(total))
		ch.offsets = slices.Grow(ch.offsets[:0], len(refs)+1)
	}
	if t.MaxDef > 0 {
		defs := grow(ch.defs[:0], len(refs))[:len(refs)]
		if len(cols) == 1 {
			src := cols[0].Defs
			for k, ref := range refs {
				defs[k] = src[ref.Row]
			}
		} else {
			for k, ref := range refs {
				defs[k] = cols[ref.Batch].Defs[ref.Row]
			}
		}
		ch.defs, ch.Defs = defs, defs
	}
	switch w := t.Width; {
	case w == 0 && view:
		ch.viewPicked(cols, refs)
	case w == 0:
		offsets := append(ch.offsets[:0], 0)
		bs := ch.bytes[:0]
		if len(cols) == 1 {
			src, off := cols[0].Bytes, cols[0].Offsets
			for _, ref := range refs {
				bs = append(bs, src[off[ref.Row]:off[ref.Row+1]]...)
				offsets = append(offsets, uint32(len(bs)))
			}
		} else {
			for _, ref := range refs {
				col := cols[ref.Batch]
				bs = append(bs, col.Bytes[col.Offsets[ref.Row]:col.Offsets[ref.Row+1]]...)
				offsets = append(offsets, uint32(len(bs)))
			}
		}
		ch.offsets, ch.bytes = offsets, bs
		ch.Offsets, ch.Bytes = offsets, bs
	case w == 8:
		fixed := grow(ch.fixed[:0], 8*len(refs))[:8*len(refs)]
		ch.fixed, ch.Fixed = fixed, fixed
		if gatherViews(&ch.views8, fixed, cols, refs, 8, view8) {
			break
		}
		for k, ref := range refs {
			binary.LittleEndian.PutUint64(fixed[8*k:], binary.LittleEndian.Uint64(cols[ref.Batch].Fixed[8*int(ref.Row):]))
		}
	case w == 4:
		fixed := grow(ch.fixed[:0], 4*len(refs))[:4*len(refs)]
		ch.fixed, ch.Fixed = fixed, fixed
		if gatherViews(&ch.views4, fixed, cols, refs, 4, view4) {
			break
		}
		for k, ref := range refs {
			binary.LittleEndian.PutUint32(fixed[4*k:], binary.LittleEndian.Uint32(cols[ref.Batch].Fixed[4*int(ref.Row):]))
		}
	default:
		fixed := ch.fixed[:0]
		for _, ref := range refs {
			at := w * int(ref.Row)
			fixed = append(fixed, cols[ref.Batch].Fixed[at:at+w]...)
		}
		ch.fixed, ch.Fixed = fixed, fixed
	}
	return nil
}

// Release empties the chunk and drops what it refers to of batches'
// memory (rows read in place, or viewed), so that it does not keep
// batches alive while it waits for its next Read; it keeps its own
// buffers.
func (ch *Chunk) Release() {
	ch.Column, ch.N, ch.picked = Column{}, 0, nil
	clear(ch.pickedBuf[:cap(ch.pickedBuf)])
}

// viewPicked sets ch.picked to the bytes of each row refs names among
// cols, in place: a null's are empty, as its offsets in its batch say.
func (ch *Chunk) viewPicked(cols []*Column, refs []Ref) {
	vs := ch.pickedBuf[:0]
	if cap(vs) < len(refs) {
		vs = make([][]byte, 0, max(len(refs), 2*cap(vs)))
	}
	vs = vs[:len(refs)]
	if len(cols) == 1 {
		src, off := cols[0].Bytes, cols[0].Offsets
		for k, ref := range refs {
			s, e := off[ref.Row], off[ref.Row+1]
			vs[k] = src[s:e:e]
		}
	} else {
		for k, ref := range refs {
			col := cols[ref.Batch]
			s, e := col.Offsets[ref.Row], col.Offsets[ref.Row+1]
			vs[k] = col.Bytes[s:e:e]
		}
	}
	ch.pickedBuf, ch.picked = vs, vs
}

// views appends to dst the fixed-width values of each of cols viewed in
// place as numbers of w bytes (view: view8 or view4), and reports
// whether they all can be.
func views[T uint32 | uint64](dst [][]T, cols []*Column, w int, view func([]byte, int) (unsafe.Pointer, bool)) ([][]T, bool) {
	for _, col := range cols {
		n := len(col.Fixed) / w
		p, ok := view(col.Fixed, n)
		if !ok {
			return dst, false
		}
		dst = append(dst, unsafe.Slice((*T)(p), n))
	}
	return dst, true
}

// gatherViews gathers the w-byte numbers refs names among cols into
// fixed, each with one load and one store, when fixed and every column's
// values can be viewed in place as numbers (view: view8 or view4), and
// reports whether they could; buf holds the views between calls.
func gatherViews[T uint32 | uint64](buf *[][]T, fixed []byte, cols []*Column, refs []Ref, w int, view func([]byte, int) (unsafe.Pointer, bool)) bool {
	out, ok := view(fixed, len(refs))
	if !ok {
		return false
	}
	vs, ok := views((*buf)[:0], cols, w, view)
	if ok {
		gatherTyped(unsafe.Slice((*T)(out), len(refs)), vs, refs)
	}
	clear(vs) // the batches are not the chunk's to keep
	*buf = vs[:0]
	return ok
}

// gatherTyped sets out[k] to the value refs[k] names among srcs: a copy
// of a number's bytes as one load and one store, a batch's values
// indexed directly when all are of one batch.
func gatherTyped[T uint32 | uint64](out []T, srcs [][]T, refs []Ref) {
	if len(srcs) == 1 {
		src := srcs[0]
		for k, ref := range refs {
			out[k] = src[ref.Row]
		}
		return
	}
	for k, ref := range refs {
		out[k] = srcs[ref.Batch][ref.Row]
	}
}

// Null reports whether row k of the chunk is null.
func (ch *Chunk) Null(k int) bool { return ch.Defs != nil && ch.Defs[k] < ch.MaxDef }

// Value returns the bytes of row k of a ByteArray chunk (empty for a
// null), which refer to the chunk's or its batch's memory.
func (ch *Chunk) Value(k int) []byte {
	if ch.picked != nil {
		return ch.picked[k]
	}
	s, e := ch.Offsets[k], ch.Offsets[k+1]
	return ch.Bytes[s:e:e]
}

// Int64s returns the values of an Int64 chunk, one per row (0 for a
// null). The slice refers to the chunk's or its batch's memory when it
// can, and is valid until the next Read.
func (ch *Chunk) Int64s() []int64 {
	if p, ok := view8(ch.Fixed, ch.N); ok {
		return unsafe.Slice((*int64)(p), ch.N)
	}
	ch.i64 = ch.i64[:0]
	for k := range ch.N {
		ch.i64 = append(ch.i64, int64(binary.LittleEndian.Uint64(ch.Fixed[8*k:])))
	}
	return ch.i64
}

// Float64s returns the values of a Double chunk, as [Chunk.Int64s] does.
func (ch *Chunk) Float64s() []float64 {
	if p, ok := view8(ch.Fixed, ch.N); ok {
		return unsafe.Slice((*float64)(p), ch.N)
	}
	ch.f64 = ch.f64[:0]
	for k := range ch.N {
		ch.f64 = append(ch.f64, math.Float64frombits(binary.LittleEndian.Uint64(ch.Fixed[8*k:])))
	}
	return ch.f64
}

// Int32s returns the values of an Int32 chunk, as [Chunk.Int64s] does.
func (ch *Chunk) Int32s() []int32 {
	if p, ok := view4(ch.Fixed, ch.N); ok {
		return unsafe.Slice((*int32)(p), ch.N)
	}
	ch.i32 = ch.i32[:0]
	for k := range ch.N {
		ch.i32 = append(ch.i32, int32(binary.LittleEndian.Uint32(ch.Fixed[4*k:])))
	}
	return ch.i32
}

// Float32s returns the values of a Float chunk, as [Chunk.Int64s] does.
func (ch *Chunk) Float32s() []float32 {
	if p, ok := view4(ch.Fixed, ch.N); ok {
		return unsafe.Slice((*float32)(p), ch.N)
	}
	ch.f32 = ch.f32[:0]
	for k := range ch.N {
		ch.f32 = append(ch.f32, math.Float32frombits(binary.LittleEndian.Uint32(ch.Fixed[4*k:])))
	}
	return ch.f32
}

// littleEndian reports whether the machine stores numbers as a batch
// does, so that its fixed-width bytes can be viewed as numbers in place.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// view8 returns the address of b, n 8-byte values, when they can be read
// in place as 8-byte numbers: little-endian machine, aligned memory.
func view8(b []byte, n int) (unsafe.Pointer, bool) {
	if n == 0 || len(b) < 8*n || !littleEndian {
		return nil, n == 0 && littleEndian
	}
	p := unsafe.Pointer(unsafe.SliceData(b))
	return p, uintptr(p)%8 == 0
}

// view4 is view8 for 4-byte values.
func view4(b []byte, n int) (unsafe.Pointer, bool) {
	if n == 0 || len(b) < 4*n || !littleEndian {
		return nil, n == 0 && littleEndian
	}
	p := unsafe.Pointer(unsafe.SliceData(b))
	return p, uintptr(p)%4 == 0
}
