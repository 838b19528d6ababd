package sinks

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"math/rand/v2"
	"slices"
)

// pageDict is a column chunk's dictionary: its distinct values, PLAIN
// encoded in order of insertion, and an open-addressing table over them.
// It is for one goroutine.
//
// Every value has a 64-bit key, kept in keys: a fixed-width value's bits;
// a byte array of up to 7 bytes its bytes read as a little-endian integer
// with its length in the top byte, which is the value itself, so that
// equal keys are equal values; a longer byte array a seeded hash of its
// bytes with the top byte set to 0xFF, which no short key has, its bytes
// compared when the keys are equal. The keys decide where a value is looked for
// (a multiplicative hash of the key and a random seed), never which
// index it gets: indexes follow the order of first appearance.
type pageDict struct {
	width int      // 4 or 8, 0 for byte arrays
	vals  []byte   // the dictionary page's body
	offs  []uint32 // byte arrays: where each value's PLAIN encoding starts in vals
	n     int      // distinct values
	size  int64    // what parquet-go's Dictionary.Size reports
	plain bool     // the chunk fell back to PLAIN: no more values enter

	// slots holds 0 (empty) or 1 + a value's index; its length is a power
	// of two at least twice n, 1 << (64 - shift).
	slots []int32
	keys  []uint64 // per index, the value's key
	shift uint
	seed  uint64
	hseed maphash.Seed // hashes long byte arrays

	// The last fixed-width value looked up, which sorted and clustered
	// columns repeat: the loops of appendIndexes look for a value other
	// than it at the slot its key gives, then call probe, which goes on
	// from there and inserts a missing value.
	lastKey uint64
	lastIdx int32 // -1: none

	seen []uint64 // dictBounds' scratch: a bit per index
}

// dictTableBits is log2 of a new dictionary's table size.
const dictTableBits = 6

// newPageDict returns an empty dictionary of values of width bytes (0:
// byte arrays).
func newPageDict(width int) *pageDict {
	return &pageDict{
		width:   width,
		slots:   make([]int32, 1<<dictTableBits),
		shift:   64 - dictTableBits,
		seed:    rand.Uint64(),
		hseed:   maphash.MakeSeed(),
		lastIdx: -1,
	}
}

// reset empties d, keeping its buffers.
func (d *pageDict) reset() {
	d.vals, d.offs, d.keys = d.vals[:0], d.offs[:0], d.keys[:0]
	d.n, d.size, d.plain = 0, 0, false
	d.lastIdx = -1
	clear(d.slots)
}

// scratchSize returns the capacity of d's buffers, in bytes.
func (d *pageDict) scratchSize() int {
	return cap(d.vals) + 4*cap(d.offs) + 4*cap(d.slots) + 8*cap(d.keys) + 8*cap(d.seen)
}

// at returns the byte array value of index j, without its length.
func (d *pageDict) at(j int32) []byte {
	return plainAt(d.vals, int(d.offs[j]))
}

// slot returns where the table's probe for key starts.
func (d *pageDict) slot(key uint64) uint64 {
	return ((key ^ d.seed) * 0x9E3779B97F4A7C15) >> d.shift
}

// grow doubles the table, once more than half full, and places every
// value anew.
func (d *pageDict) grow() {
	d.shift--
	slots := make([]int32, 2*len(d.slots))
	mask := uint64(len(slots) - 1)
	for j, key := range d.keys {
		for k := d.slot(key); ; k = (k + 1) & mask {
			if slots[k] == 0 {
				slots[k] = int32(j) + 1
				break
			}
		}
	}
	d.slots = slots
}

// added counts the value just appended, of key and of size bytes, found
// missing at slot k, and returns its index.
func (d *pageDict) added(key uint64, k uint64, size int) int32 {
	j := int32(d.n)
	d.keys = append(d.keys, key)
	d.n++
	d.size += int64(size)
	if 2*d.n > len(d.slots) {
		d.grow()
	} else {
		d.slots[k] = j + 1
	}
	return j
}

// shortBytes is the longest byte array keyed by its bytes.
const shortBytes = 7

// longKey is set in the top byte of a long byte array's key.
const longKey = 0xFF << 56

// shortKey returns the key of the byte array of l bytes, at most
// shortBytes, whose PLAIN encoding starts at vals[i:].
func shortKey(vals []byte, i, l int) uint64 {
	var k uint64
	if i+12 <= len(vals) {
		k = binary.LittleEndian.Uint64(vals[i+4:]) & (1<<(8*l) - 1)
	} else {
		var b [8]byte
		copy(b[:], vals[i+4:i+4+l])
		k = binary.LittleEndian.Uint64(b[:])
	}
	return k | uint64(l)<<56
}

// appendIndexes appends to idx the index of each PLAIN encoded value of
// vals, inserting those not in d yet, and returns idx.
func (d *pageDict) appendIndexes(idx []int32, vals []byte) []int32 {
	switch d.width {
	case 8:
		idx = slices.Grow(idx, len(vals)/8)
		key, j := d.lastKey, d.lastIdx
		for i := 0; i+8 <= len(vals); i += 8 {
			if k := binary.LittleEndian.Uint64(vals[i:]); k != key || j < 0 {
				// A value other than the last: its first slot, else probe.
				key = k
				s := d.slot(k)
				if e := d.slots[s]; e != 0 && d.keys[e-1] == k {
					j = e - 1
				} else {
					j = d.probe(k, s)
				}
			}
			idx = append(idx, j)
		}
		d.lastKey, d.lastIdx = key, j
	case 4:
		idx = slices.Grow(idx, len(vals)/4)
		key, j := d.lastKey, d.lastIdx
		for i := 0; i+4 <= len(vals); i += 4 {
			if k := uint64(binary.LittleEndian.Uint32(vals[i:])); k != key || j < 0 {
				// A value other than the last: its first slot, else probe.
				key = k
				s := d.slot(k)
				if e := d.slots[s]; e != 0 && d.keys[e-1] == k {
					j = e - 1
				} else {
					j = d.probe(k, s)
				}
			}
			idx = append(idx, j)
		}
		d.lastKey, d.lastIdx = key, j
	default:
		// No last value here: on a column of a few classes in random
		// order the check mispredicts about every other value, and a
		// short key's first slot, in cache, costs less.
		for i := 0; i < len(vals); {
			l := int(binary.LittleEndian.Uint32(vals[i:]))
			end := i + 4 + l
			if l > shortBytes {
				idx = append(idx, d.lookupLong(vals[i+4:end]))
				i = end
				continue
			}
			k := shortKey(vals, i, l)
			s := d.slot(k)
			j := d.slots[s] - 1
			if j < 0 || d.keys[j] != k {
				j = d.probe(k, s)
			}
			idx = append(idx, j)
			i = end
		}
	}
	return idx
}

// probe returns the index of the value of key, looked for from slot k on,
// inserting it.
func (d *pageDict) probe(key uint64, k uint64) int32 {
	mask := uint64(len(d.slots) - 1)
	for ; ; k = (k + 1) & mask {
		j := d.slots[k]
		if j == 0 {
			break
		}
		if d.keys[j-1] == key {
			return j - 1
		}
	}
	switch d.width {
	case 8:
		d.vals = binary.LittleEndian.AppendUint64(d.vals, key)
		return d.added(key, k, 8)
	case 4:
		d.vals = binary.LittleEndian.AppendUint32(d.vals, uint32(key))
		return d.added(key, k, 4)
	}
	l, at := int(key>>56), len(d.vals)
	d.offs = append(d.offs, uint32(at))
	d.vals = binary.LittleEndian.AppendUint32(d.vals, uint32(l))
	d.vals = binary.LittleEndian.AppendUint64(d.vals, key)[:at+4+l]
	return d.added(key, k, l)
}

// lookupLong returns the index of the byte array b, longer than
// shortBytes,
// inserting it.
func (d *pageDict) lookupLong(b []byte) int32 {
	key := maphash.Bytes(d.hseed, b) | longKey
	mask := uint64(len(d.slots) - 1)
	k := d.slot(key)
	for ; ; k = (k + 1) & mask {
		j := d.slots[k]
		if j == 0 {
			break
		}
		if d.keys[j-1] == key && bytes.Equal(d.at(j-1), b) {
			return j - 1
		}
	}
	d.offs = append(d.offs, uint32(len(d.vals)))
	d.vals = binary.LittleEndian.AppendUint32(d.vals, uint32(len(b)))
	d.vals = append(d.vals, b...)
	return d.added(key, k, len(b))
}

// byteBounds returns the least and greatest of the byte arrays of
// indexes idx (at least one), in compareBytes' order, comparing each
// distinct index once: distinct indexes hold distinct bytes, so the
// bounds are those of every index in turn.
func (d *pageDict) byteBounds(idx []int32) (lo, hi []byte) {
	words := (d.n + 63) / 64
	d.seen = slices.Grow(d.seen[:0], words)[:words]
	clear(d.seen)
	seen := d.seen
	first := idx[0]
	seen[first>>6] |= 1 << (first & 63)
	lo = d.at(first)
	hi = lo
	for _, j := range idx[1:] {
		w, bit := j>>6, uint64(1)<<(j&63)
		if seen[w]&bit != 0 {
			continue
		}
		seen[w] |= bit
		x := d.at(j)
		switch {
		case compareBytes(x, lo) < 0:
			lo = x
		case compareBytes(x, hi) > 0:
			hi = x
		}
	}
	return lo, hi
}
