package sources_test

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/splitdata/splitdata/sources"
)

// appendLevelRuns appends to src the hybrid encoding of levels of width
// bits: a run wherever at least 8 equal levels follow, else bit-packed
// groups of 8 (the last one padded).
func appendLevelRuns(src []byte, levels []byte, width int) []byte {
	for i := 0; i < len(levels); {
		j := i
		for j < len(levels) && levels[j] == levels[i] {
			j++
		}
		if j-i >= 8 {
			src = binary.AppendUvarint(src, uint64(j-i)<<1)
			src = append(src, levels[i])
			i = j
			continue
		}
		n := min(8, len(levels)-i)
		src = binary.AppendUvarint(src, 1<<1|1)
		var acc uint64
		for k := range 8 {
			var v byte
			if k < n {
				v = levels[i+k]
			}
			acc |= uint64(v) << (k * width)
		}
		for k := range width {
			src = append(src, byte(acc>>(8*k)))
		}
		i += n
	}
	return src
}

// TestDecodeLevels decodes pages of definition levels, in runs long and
// short and bit-packed groups, into bytes, and wants the levels
// decodeHybrid decodes and the count of those at the maximum, and the
// same refusals.
func TestDecodeLevels(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct {
		name   string
		maxDef byte
		n      int
		nulls  int // in 1000
		runs   bool
	}{
		{"no nulls, one run", 1, 5000, 0, true},
		{"a run of 64", 1, 64, 0, true},
		{"a run of 65", 1, 65, 0, true},
		{"scattered nulls", 1, 3000, 300, false},
		{"runs of nulls", 3, 2000, 500, true},
		{"all null", 2, 700, 1000, true},
		{"width 8", 200, 1000, 400, false},
		{"empty", 1, 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			width := 0
			for m := tc.maxDef; m > 0; m >>= 1 {
				width++
			}
			levels := make([]byte, tc.n)
			wantDefined := 0
			for i := range levels {
				levels[i] = tc.maxDef
				if tc.runs && i > 0 && r.IntN(20) > 0 {
					levels[i] = levels[i-1]
				} else if r.IntN(1000) < tc.nulls {
					levels[i] = byte(r.IntN(int(tc.maxDef)))
				}
				if levels[i] == tc.maxDef {
					wantDefined++
				}
			}
			src := appendLevelRuns(nil, levels, width)
			got := make([]byte, tc.n)
			defined, err := sources.DecodeLevels(got, src, width, tc.maxDef)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(levels) || defined != wantDefined {
				t.Fatalf("decoded %v (%d defined), want %v (%d)", got, defined, levels, wantDefined)
			}
			wide := make([]int32, tc.n)
			if err := sources.DecodeHybrid(wide, src, width); err != nil {
				t.Fatal(err)
			}
			for i, v := range wide {
				if byte(v) != got[i] {
					t.Fatalf("level %d: %d, decodeHybrid %d", i, got[i], v)
				}
			}
		})
	}
	for _, bad := range []struct {
		name  string
		src   []byte
		width int
		n     int
	}{
		{"too few levels", []byte{2 << 1, 1}, 1, 3},
		{"packed past the end", []byte{1<<1 | 1}, 1, 3},
		{"empty run", []byte{0, 1}, 1, 3},
		{"width 9", []byte{2 << 1, 1, 0}, 9, 2},
		{"negative width", []byte{2 << 1, 1}, -1, 2},
	} {
		if _, err := sources.DecodeLevels(make([]byte, bad.n), bad.src, bad.width, 1); err == nil {
			t.Errorf("%s: no error", bad.name)
		}
	}
}

// appendPacked appends one bit-packed run of values of width bits, its
// groups of 8 ending exactly at the last value's byte (as a page's last
// run does, with nothing after it to pad the reads).
func appendPacked(src []byte, values []uint32, width int) []byte {
	src = binary.AppendUvarint(src, uint64((len(values)+7)/8)<<1|1)
	var acc uint64
	bits := 0
	for _, v := range values {
		acc |= uint64(v) << bits
		bits += width
		for bits >= 8 {
			src = append(src, byte(acc))
			acc >>= 8
			bits -= 8
		}
	}
	if bits > 0 {
		src = append(src, byte(acc))
	}
	return src
}

// TestDecodeBitPacked decodes a bit-packed run at every width, of lengths
// around a group of 8, from a source that ends at the last value's byte
// (read in place but for the last groups) or is followed by other bytes.
func TestDecodeBitPacked(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for width := 1; width <= 32; width++ {
		for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000} {
			values := make([]uint32, n)
			for i := range values {
				values[i] = uint32(rng.Uint64() & (1<<width - 1))
			}
			exact := appendPacked(nil, values, width)
			for _, tail := range []int{0, 3, 16} {
				src := append(append([]byte(nil), exact...), make([]byte, tail)...)
				for i := len(exact); i < len(src); i++ {
					src[i] = 0xff // bits past the run must not leak in
				}
				dst := make([]int32, n)
				if err := sources.DecodeHybrid(dst, src, width); err != nil {
					t.Fatalf("width %d, %d values, %d bytes after: %v", width, n, tail, err)
				}
				for i, v := range values {
					if uint32(dst[i]) != v {
						t.Fatalf("width %d, %d values, %d bytes after: value %d is %d, want %d", width, n, tail, i, dst[i], v)
					}
				}
			}
		}
	}
}
