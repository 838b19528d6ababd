package extsort

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/splitdata/splitdata/internal/scratch"
)

// TestFilesRoundTrip adds pieces to the files of two outputs and three
// key ranges and reads each range back: the rows' bytes, keys and
// indices come back as added, whatever the indices do from row to row
// (increase by a little or a lot, repeat, decrease, reach the ends of
// int64), and a range never added is empty.
func TestFilesRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		index func(r *rand.Rand, i int) int64
	}{
		{"increasing", func(r *rand.Rand, i int) int64 { return int64(3*i + r.IntN(3)) }},
		{"copies", func(_ *rand.Rand, i int) int64 { return int64(i / 3) }},
		{"large steps", func(r *rand.Rand, i int) int64 { return int64(i) << 40 }},
		{"any order", func(r *rand.Rand, _ int) int64 { return r.Int64() }},
		{"extremes", func(_ *rand.Rand, i int) int64 { return []int64{0, math.MaxInt64, 0, math.MaxInt64 - 1, 1}[i%5] }},
	}
	for _, tt := range tests {
		for _, layout := range layouts {
			t.Run(tt.name+"/"+layout.name, func(t *testing.T) {
				roundTrip(t, layout.dir(t), tt.index)
			})
		}
	}
}

// layouts are the two ways Files keeps its ranges: blocks of one file in
// a local directory, a file each elsewhere.
var layouts = []struct {
	name string
	dir  func(t *testing.T) scratch.Dir
}{
	{"blocks", func(t *testing.T) scratch.Dir { return scratch.Local(t.TempDir()) }},
	{"files", func(t *testing.T) scratch.Dir { return otherDir{scratch.Local(t.TempDir())} }},
}

// otherDir is a Dir that is not a local directory.
type otherDir struct{ scratch.Dir }

func roundTrip(t *testing.T, dir scratch.Dir, index func(r *rand.Rand, i int) int64) {
	r := rand.New(rand.NewPCG(5, 6))
	fs := NewFiles(dir, 2, 3)
	defer fs.Close()
	type want struct {
		data  []byte
		keys  []uint64
		index []int64
	}
	wants := make([][]want, 2)
	for s := range wants {
		wants[s] = make([]want, 3)
	}
	row := 0
	for piece := range 40 {
		s, p := piece%2, (piece/2)%2 // range 2 stays empty
		n := r.IntN(300)
		pc := &Piece{Data: []byte(strconv.Itoa(piece) + ";")}
		if piece%7 == 3 { // more than a block, alone or after others
			pc.Data = append(pc.Data, make([]byte, bufferSize+r.IntN(bufferSize))...)
		}
		for range n {
			pc.Keys = append(pc.Keys, r.Uint64())
			pc.Index = append(pc.Index, index(r, row))
			row++
		}
		if err := fs.Add(s, p, pc); err != nil {
			t.Fatal(err)
		}
		w := &wants[s][p]
		w.data = append(w.data, pc.Data...)
		w.keys = append(w.keys, pc.Keys...)
		w.index = append(w.index, pc.Index...)
	}
	if err := fs.Finish(); err != nil {
		t.Fatal(err)
	}
	// Every other range is read into a used buffer with room to spare,
	// which a range in blocks takes.
	_, blocks := dir.(*scratch.LocalDir)
	for s := range 2 {
		for p := range 3 {
			var buf []byte
			if (s+p)%2 == 1 {
				buf = make([]byte, 4*bufferSize*40)
				for i := range buf {
					buf[i] = 0xa5
				}
			}
			run, err := fs.LoadInto(s, p, Run{Buffer: buf, Entries: make([]Entry, 7, 1000)})
			if err == nil && blocks && buf != nil && run.Rows > 0 && &run.Buffer[0] != &buf[0] {
				t.Fatalf("output %d range %d: read into a new buffer, not the one given", s, p)
			}
			if err != nil {
				t.Fatalf("output %d range %d: %v", s, p, err)
			}
			w := wants[s][p]
			var data []byte
			for _, piece := range run.Pieces {
				data = append(data, piece...)
			}
			ok := string(data) == string(w.data) && run.Rows == int64(len(w.keys)) && len(run.Entries) == len(w.keys)
			ok = ok && (len(w.keys) > 0) == (run.Pieces != nil)
			for j, e := range run.Entries {
				ok = ok && e == Entry{Key: w.keys[j], Index: w.index[j], At: j}
			}
			if !ok {
				t.Fatalf("output %d range %d: got %d rows, %d bytes; want %d rows, %d bytes (or bytes, keys, indices differ)",
					s, p, run.Rows, len(data), len(w.keys), len(w.data))
			}
		}
	}
}

// TestFilesDamaged checks that a spill file cut short, grown, or ending
// in an unterminated varint is an error on Load, not a panic or garbage.
func TestFilesDamaged(t *testing.T) {
	tests := []struct {
		name   string
		damage func(b []byte) []byte
	}{
		{"cut short", func(b []byte) []byte { return b[:len(b)-1] }},
		{"half gone", func(b []byte) []byte { return b[:len(b)/2] }},
		{"grown", func(b []byte) []byte { return append(b, 0, 0, 0) }},
		{"grown by a row", func(b []byte) []byte { return append(b, b[:9]...) }},
		{"unterminated varint", func(b []byte) []byte { b[len(b)-1] = 0xFF; return b }},
		{"empty", func(b []byte) []byte { return nil }},
		{"rows' size too large", func(b []byte) []byte { b[2]++; return b }},
	}
	for _, tt := range tests {
		for _, layout := range layouts {
			t.Run(tt.name+"/"+layout.name, func(t *testing.T) {
				damaged(t, layout.dir(t), tt.damage)
			})
		}
	}
}

func damaged(t *testing.T, dir scratch.Dir, damage func([]byte) []byte) {
	fs := NewFiles(dir, 1, 1)
	defer fs.Close()
	pc := &Piece{} // no rows' bytes: the file ends in keys
	for i := range 100 {
		pc.Keys = append(pc.Keys, uint64(i)*7919)
		pc.Index = append(pc.Index, int64(i)*5)
	}
	if err := fs.Add(0, 0, pc); err != nil {
		t.Fatal(err)
	}
	if err := fs.Finish(); err != nil {
		t.Fatal(err)
	}
	f := fs.files[0][0]
	b, err := fs.read(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	b = damage(b)
	damaged, err := dir.Create("damaged", scratch.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := damaged.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := damaged.Flush(); err != nil {
		t.Fatal(err)
	}
	if f.f != nil {
		f.f.Close()
		f.f = damaged
	} else {
		fs.shared.Close()
		fs.shared, f.size, f.blocks = damaged, int64(len(b)), nil
		if len(b) > 0 {
			f.blocks = []block{{off: 0, n: int64(len(b))}}
		}
	}
	if run, err := fs.Load(0, 0); err == nil {
		t.Fatalf("damaged keys loaded without an error: %d rows", run.Rows)
	}
}

// BenchmarkFiles adds a spilled shuffle's keys (one output, 64 key
// ranges, pieces of a unit's rows in each) and loads them back, the
// ranges in blocks of one file or in a file each.
func BenchmarkFiles(b *testing.B) {
	const units, rows, ranges = 40, 64 << 10, 64
	r := rand.New(rand.NewPCG(7, 8))
	pieces := make([][]*Piece, units)
	for u := range pieces {
		pieces[u] = make([]*Piece, ranges)
		for p := range pieces[u] {
			pieces[u][p] = &Piece{Data: make([]byte, 64)}
		}
		for i := range rows {
			key := r.Uint64()
			pc := pieces[u][Partition(key, ranges)]
			pc.Keys = append(pc.Keys, key)
			pc.Index = append(pc.Index, int64(u*rows+i))
		}
	}
	for _, layout := range []string{"blocks", "files"} {
		b.Run(layout, func(b *testing.B) {
			benchmarkFiles(b, pieces, layout == "files")
		})
	}
}

func benchmarkFiles(b *testing.B, pieces [][]*Piece, files bool) {
	const units, rows, ranges = 40, 64 << 10, 64
	b.ReportAllocs()
	b.SetBytes(16 * units * rows)
	for b.Loop() {
		var dir scratch.Dir = scratch.Local(b.TempDir())
		if files {
			dir = otherDir{dir}
		}
		fs := NewFiles(dir, 1, ranges)
		for u := range pieces {
			for p, pc := range pieces[u] {
				if err := fs.Add(0, p, pc); err != nil {
					b.Fatal(err)
				}
			}
		}
		if err := fs.Finish(); err != nil {
			b.Fatal(err)
		}
		for p := range ranges {
			if _, err := fs.Load(0, p); err != nil {
				b.Fatal(err)
			}
		}
		fs.Close()
	}
}

// appendStep and step write and read what binary.AppendVarint and Varint
// do, whatever the step, and step refuses what Varint refuses.
func TestStep(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	steps := []int64{0, 1, -1, 63, -64, 64, -65, 228, -228, 8191, -8192, 8192, -8193, math.MaxInt64, math.MinInt64}
	for range 1000 {
		steps = append(steps, r.Int64N(1<<16)-1<<15, r.Int64()>>r.IntN(64))
	}
	for _, d := range steps {
		got := appendStep([]byte{9}, d)
		want := binary.AppendVarint([]byte{9}, d)
		if !bytes.Equal(got, want) {
			t.Fatalf("appendStep(%d) = %x, AppendVarint %x", d, got, want)
		}
		enc := want[1:]
		// Cut short, whole, and followed by more bytes.
		for end := 0; end <= len(enc)+1; end++ {
			b := append(enc[:len(enc):len(enc)], 0x55)[:end]
			gd, gk := step(b)
			wd, wk := binary.Varint(b)
			if gd != wd || gk != wk {
				t.Fatalf("step(%x) = %d, %d; Varint %d, %d", b, gd, gk, wd, wk)
			}
		}
	}
	for _, b := range [][]byte{nil, {0x80}, {0xff, 0xff}, bytes.Repeat([]byte{0xff}, 11)} {
		if _, k := step(b); k > 0 {
			t.Errorf("step(%x) read %d bytes", b, k)
		}
	}
}
