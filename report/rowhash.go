package report

import (
	"encoding/binary"
	"math"
	"math/bits"

	metro "github.com/dgryski/go-metro"
	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// The fast row hash of the leak check (see verify.go) is computed a
// column at a time: each row's 64-bit state takes in its columns' values
// in column order, fixed-width values mixed as numbers, byte arrays by
// their metro hash (the one the value counts compute anyway), so that no
// row's canonical bytes are built. Rows with equal canonical bytes have
// equal values, hence equal hashes; rows whose hashes meet are read again
// and compared by the SHA-256 of their canonical bytes, so this hash
// decides only which rows are read again, never a figure.
//
// A step is rowState(h, v) = rotl(h, 29)·rowMul + v, a bijection of h for
// a given value hash v and of v for a given h: two rows that differ in one
// column never share a hash.

const (
	rowSeed = 0x243f6a8885a308d3 // the state of a row before its first value
	rowMul  = 0x9e3779b97f4a7c15 // odd
	// mixMul1 and mixMul2 are the odd multipliers of mixValue.
	mixMul1 = 0xbf58476d1ce4e5b9
	mixMul2 = 0x94d049bb133111eb
	// nullHash is the value hash of a null, plus its definition level.
	nullHash = 0x6a09e667f3bcc909
	// repMul times a value's repetition level, when not 0 (repeated
	// columns, read as rows only), is added to its value hash.
	repMul = 0xb7e151628aed2a6b
)

// mixValue is the value hash of a fixed-width value's bits: a bijection
// (xor-shifts and odd multiplications) that spreads every input bit over
// the output.
func mixValue(x uint64) uint64 {
	x ^= x >> 31
	x *= mixMul1
	x ^= x >> 27
	x *= mixMul2
	x ^= x >> 33
	return x
}

// rowState adds a value hash v to a row's state h.
func rowState(h, v uint64) uint64 {
	return bits.RotateLeft64(h, 29)*rowMul + v
}

// bytesHash is the value hash of a byte array, fixed-length byte array or
// INT96 value: its metro hash, as a value counter takes it.
func bytesHash(b []byte) uint64 { return metro.Hash64(b, hashSeed) }

// valueHash is the value hash of v, for the rows read one value at a
// time; chunkHashes computes the same from a column chunk.
func valueHash(v parquet.Value) uint64 {
	var x uint64
	switch {
	case v.IsNull():
		x = nullHash + uint64(v.DefinitionLevel())
	case v.Kind() == parquet.Boolean:
		x = 0
		if v.Boolean() {
			x = 1
		}
		x = mixValue(x)
	case v.Kind() == parquet.Int32, v.Kind() == parquet.Float:
		x = mixValue(v.Uint64() & math.MaxUint32)
	case v.Kind() == parquet.Int64, v.Kind() == parquet.Double:
		x = mixValue(v.Uint64())
	default:
		// Byte arrays, fixed-length byte arrays, INT96: their bytes.
		x = bytesHash(valueBytes(v))
	}
	if r := v.RepetitionLevel(); r != 0 {
		x += uint64(r) * repMul
	}
	return x
}

// valueBytes returns the bytes of a byte array, fixed-length byte array
// or INT96 value, as a chunk of its column holds them.
func valueBytes(v parquet.Value) []byte {
	if v.Kind() == parquet.Int96 {
		i := v.Int96()
		var b [12]byte
		binary.LittleEndian.PutUint32(b[0:], i[0])
		binary.LittleEndian.PutUint32(b[4:], i[1])
		binary.LittleEndian.PutUint32(b[8:], i[2])
		return b[:]
	}
	return v.ByteArray()
}

// chunkHashes puts in vh the value hashes of the byte arrays (or fixed
// length byte arrays, INT96 values) of ch, 0 for nulls, and returns it.
func chunkHashes(vh []uint64, ch *columnar.Chunk) []uint64 {
	vh = growU64(vh, ch.N)
	if ch.Width == 0 {
		for k := range ch.N {
			vh[k] = 0
			if !ch.Null(k) {
				vh[k] = bytesHash(ch.Value(k))
			}
		}
		return vh
	}
	for k := range ch.N {
		vh[k] = 0
		if !ch.Null(k) {
			vh[k] = bytesHash(chunkBytes(ch, k))
		}
	}
	return vh
}

// addRowStates adds column chunk ch's values to the row states hs, one
// per row of the chunk, as valueHash hashes them; vh holds the value
// hashes of a column of bytes (chunkHashes).
func addRowStates(hs []uint64, ch *columnar.Chunk, vh []uint64) {
	hs = hs[:ch.N]
	switch ch.Kind {
	case parquet.Boolean:
		t, f := mixValue(1), mixValue(0)
		for k := range hs {
			x := f
			if ch.Fixed[k] != 0 {
				x = t
			}
			if ch.Null(k) {
				x = nullHash + uint64(ch.Defs[k])
			}
			hs[k] = rowState(hs[k], x)
		}
	case parquet.Int64, parquet.Double:
		vals := ch.Int64s()[:len(hs)]
		if ch.Defs == nil {
			for k, v := range vals {
				hs[k] = rowState(hs[k], mixValue(uint64(v)))
			}
			return
		}
		defs := ch.Defs[:len(hs)]
		for k, v := range vals {
			x := mixValue(uint64(v))
			if d := defs[k]; d < ch.MaxDef {
				x = nullHash + uint64(d)
			}
			hs[k] = rowState(hs[k], x)
		}
	case parquet.Int32, parquet.Float:
		vals := ch.Int32s()[:len(hs)]
		for k, v := range vals {
			x := mixValue(uint64(uint32(v)))
			if ch.Null(k) {
				x = nullHash + uint64(ch.Defs[k])
			}
			hs[k] = rowState(hs[k], x)
		}
	default:
		vh = vh[:len(hs)]
		for k := range hs {
			x := vh[k]
			if ch.Null(k) {
				x = nullHash + uint64(ch.Defs[k])
			}
			hs[k] = rowState(hs[k], x)
		}
	}
}

// growU64 returns b with length n, grown if need be.
func growU64(b []uint64, n int) []uint64 {
	if cap(b) < n {
		return make([]uint64, n, max(n, 2*cap(b)))
	}
	return b[:n]
}
