package pipeline

import (
	"unsafe"

	"github.com/parquet-go/parquet-go"
)

// Arena chunk sizes: large enough that a unit of 100k rows needs a few dozen
// allocations, small enough that the last, partly used chunk wastes little.
const (
	arenaValues = 64 << 10 // values per chunk (24 bytes each on 64-bit)
	arenaBytes  = 1 << 20  // bytes per chunk
)

// rowArena deep-copies borrowed rows into a few large allocations, so that
// the rows of a unit can outlive the decoder's page buffers without one
// allocation per row or per string. Chunks are never reallocated, so rows
// handed out stay valid. Single goroutine.
type rowArena struct {
	vals  []parquet.Value
	bytes []byte
	used  int64 // bytes of the rows cloned: values and the bytes they hold
}

// valueBytes is the size of a parquet.Value.
const valueBytes = int64(unsafe.Sizeof(parquet.Value{}))

// content returns the bytes of the rows cloned so far, without the slack
// of partly used chunks.
func (a *rowArena) content() int64 { return a.used }

// clone returns a copy of row that shares no memory with it.
func (a *rowArena) clone(row parquet.Row) parquet.Row {
	if cap(a.vals)-len(a.vals) < len(row) {
		a.vals = make([]parquet.Value, 0, max(arenaValues, len(row)))
	}
	start := len(a.vals)
	a.used += int64(len(row)) * valueBytes
	for _, v := range row {
		switch k := v.Kind(); {
		case v.IsNull():
		case k == parquet.ByteArray:
			v = parquet.ByteArrayValue(a.copyBytes(v.ByteArray())).Level(v.RepetitionLevel(), v.DefinitionLevel(), v.Column())
		case k == parquet.FixedLenByteArray:
			v = parquet.FixedLenByteArrayValue(a.copyBytes(v.ByteArray())).Level(v.RepetitionLevel(), v.DefinitionLevel(), v.Column())
		}
		a.vals = append(a.vals, v)
	}
	return a.vals[start:len(a.vals):len(a.vals)]
}

func (a *rowArena) copyBytes(b []byte) []byte {
	a.used += int64(len(b))
	if len(b) > arenaBytes/4 {
		return append([]byte(nil), b...)
	}
	if cap(a.bytes)-len(a.bytes) < len(b) {
		a.bytes = make([]byte, 0, arenaBytes)
	}
	start := len(a.bytes)
	a.bytes = append(a.bytes, b...)
	return a.bytes[start:len(a.bytes):len(a.bytes)]
}
