package sinks

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// plainBytes returns the PLAIN encoding of byte arrays vals.
func plainBytes(vals [][]byte) []byte {
	var out []byte
	for _, v := range vals {
		out = binary.LittleEndian.AppendUint32(out, uint32(len(v)))
		out = append(out, v...)
	}
	return out
}

// refDict is the dictionary pageDict must equal: indexes in order of
// first appearance, by bits or bytes.
func refDict(keys []string) (idx []int32, order []string) {
	seen := map[string]int32{}
	for _, k := range keys {
		j, ok := seen[k]
		if !ok {
			j = int32(len(order))
			seen[k] = j
			order = append(order, k)
		}
		idx = append(idx, j)
	}
	return idx, order
}

// TestPageDictIndexes checks pageDict's indexes, page body and size
// against a map, for fixed-width values (including -0, 0 and NaNs of two
// payloads, which are distinct bits) and byte arrays of every length
// around the 7 bytes that short keys hold, fed in pieces of several
// sizes so that short values sit at the end of a piece, and enough
// distinct values that the table grows.
func TestPageDictIndexes(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	words := [][]byte{{}, {0}, {0, 0}, []byte("a"), []byte("ab"), []byte("abc"), []byte("abcd"),
		[]byte("abcde"), []byte("abcdefgh"), {'a', 'b', 'c', 0}, {0xFF, 0, 0, 0, 0}, {4, 0, 0, 0},
		[]byte("abcdefg"), {0, 0, 0, 0, 0, 0, 0}, {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}}
	for i := range 700 {
		words = append(words, fmt.Appendf(nil, "%d", i), fmt.Appendf(nil, "value-%d", i))
	}
	floats := []uint64{0, math.Float64bits(math.Copysign(0, -1)), math.Float64bits(math.NaN()),
		math.Float64bits(math.NaN()) | 1, math.Float64bits(1.5)}
	cases := []struct {
		name  string
		width int
		n     int
		value func(i int) []byte
	}{
		{"int64 clustered", 8, 5000, func(i int) []byte { return binary.LittleEndian.AppendUint64(nil, uint64(i/11)) }},
		{"int64 random", 8, 5000, func(int) []byte { return binary.LittleEndian.AppendUint64(nil, r.Uint64N(2000)<<40) }},
		{"double bits", 8, 500, func(int) []byte { return binary.LittleEndian.AppendUint64(nil, floats[r.IntN(len(floats))]) }},
		{"int32", 4, 5000, func(int) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(r.IntN(3000))-1500) }},
		{"bytes", 0, 8000, func(int) []byte { return words[r.IntN(len(words))] }},
		{"bytes short", 0, 3000, func(int) []byte { return words[r.IntN(16)] }},
	}
	for _, tc := range cases {
		for _, piece := range []int{1, 3, 1000} {
			t.Run(fmt.Sprintf("%s/%d", tc.name, piece), func(t *testing.T) {
				var keys []string
				var vals [][]byte
				for i := range tc.n {
					v := tc.value(i)
					keys, vals = append(keys, string(v)), append(vals, v)
				}
				d := newPageDict(tc.width)
				var idx []int32
				for lo := 0; lo < len(vals); lo += piece {
					hi := min(lo+piece, len(vals))
					var in []byte
					if tc.width == 0 {
						in = plainBytes(vals[lo:hi])
					} else {
						in = bytes.Join(vals[lo:hi], nil)
					}
					idx = d.appendIndexes(idx, in)
				}
				wantIdx, order := refDict(keys)
				var body []byte
				var size int64
				for _, k := range order {
					if tc.width == 0 {
						body = binary.LittleEndian.AppendUint32(body, uint32(len(k)))
					}
					body = append(body, k...)
					size += int64(len(k))
				}
				if d.n != len(order) || !bytes.Equal(d.vals, body) || d.size != size {
					t.Fatalf("dictionary: %d values, %d bytes, size %d; want %d, %d, %d", d.n, len(d.vals), d.size, len(order), len(body), size)
				}
				for i := range wantIdx {
					if idx[i] != wantIdx[i] {
						t.Fatalf("value %d (%q): index %d, want %d", i, keys[i], idx[i], wantIdx[i])
					}
				}
				if tc.width == 0 {
					lo, hi := d.byteBounds(idx)
					wlo, whi := []byte(keys[0]), []byte(keys[0])
					for _, k := range keys {
						if compareBytes([]byte(k), wlo) < 0 {
							wlo = []byte(k)
						}
						if compareBytes([]byte(k), whi) > 0 {
							whi = []byte(k)
						}
					}
					if !bytes.Equal(lo, wlo) || !bytes.Equal(hi, whi) {
						t.Fatalf("bounds %q, %q; want %q, %q", lo, hi, wlo, whi)
					}
				}
				d.reset()
				if got := d.appendIndexes(nil, nil); d.n != 0 || len(got) != 0 {
					t.Fatalf("after reset: %d values", d.n)
				}
			})
		}
	}
}

// BenchmarkPageDict indexes 64K values as the page writer hands them over
// (a chunk of rows at a time): flights' shapes, clustered dates, random
// delays of a few thousand values, 3-letter airport codes, and longer
// strings, and the codes sorted; the gen table's labels (four classes, one of 6 bytes); and the
// bounds of a page of those codes.
func BenchmarkPageDict(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 1 << 16
	var dates, delays, sparse []byte
	var codes, names, labels [][]byte
	classes := [][]byte{[]byte("neg"), []byte("pos"), []byte("unsure"), []byte("spam")}
	for i := range n {
		dates = binary.LittleEndian.AppendUint64(dates, uint64(1e9+60*(i/11)))
		delays = binary.LittleEndian.AppendUint64(delays, uint64(r.IntN(3000)))
		codes = append(codes, fmt.Appendf(nil, "%03d", r.IntN(300)))
		names = append(names, fmt.Appendf(nil, "airport number %d", r.IntN(300)))
		// The gen table's label: 70, 20, 8 and 2 in 100.
		switch p := r.IntN(100); {
		case p < 70:
			labels = append(labels, classes[0])
		case p < 90:
			labels = append(labels, classes[1])
		case p < 98:
			labels = append(labels, classes[2])
		default:
			labels = append(labels, classes[3])
		}
	}
	sorted := slices.SortedFunc(slices.Values(codes), bytes.Compare)
	// A test split's dates: a fifth of the rows, about two per date, and
	// a dictionary past the caches.
	for i := range 1 << 20 {
		sparse = binary.LittleEndian.AppendUint64(sparse, uint64(1e9+60*(i/2)))
	}
	for _, in := range []struct {
		name  string
		width int
		vals  []byte
	}{
		{"dates", 8, dates}, {"dates/sparse", 8, sparse}, {"delays", 8, delays},
		{"codes", 0, plainBytes(codes)}, {"codes/sorted", 0, plainBytes(sorted)},
		{"names", 0, plainBytes(names)}, {"labels", 0, plainBytes(labels)},
	} {
		b.Run(in.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in.vals)))
			d := newPageDict(in.width)
			idx := make([]int32, 0, len(in.vals))
			for b.Loop() {
				d.reset()
				idx = idx[:0]
				for lo := 0; lo < len(in.vals); {
					hi := min(lo+chunkRows*8, len(in.vals))
					if in.width == 0 {
						// Whole values: walk chunkRows of them.
						hi = lo
						for k := 0; k < chunkRows && hi < len(in.vals); k++ {
							hi += 4 + int(binary.LittleEndian.Uint32(in.vals[hi:]))
						}
					}
					idx = d.appendIndexes(idx, in.vals[lo:hi])
					lo = hi
				}
			}
		})
	}
	b.Run("bounds/codes", func(b *testing.B) {
		b.ReportAllocs()
		d := newPageDict(0)
		idx := d.appendIndexes(nil, plainBytes(codes))
		b.SetBytes(4 * int64(len(idx)))
		for b.Loop() {
			d.byteBounds(idx)
		}
	})
}
