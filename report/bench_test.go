package report_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/report"
)

// BenchmarkSortFloats sorts a sketch level (2048 values) of the kinds of
// numbers gen writes: random floats, random integers (user_id), and
// values of a few ranges.
func BenchmarkSortFloats(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	gens := []struct {
		name string
		gen  func() float64
	}{
		{"float", rng.Float64},
		{"normal", rng.NormFloat64},
		{"integer", func() float64 { return float64(rng.IntN(500_000)) }},
		{"clustered", func() float64 { return float64(rng.IntN(4)) + rng.Float64()/1e6 }},
	}
	for _, g := range gens {
		src := make([]float64, report.DefaultSketchCapacity)
		for i := range src {
			src[i] = g.gen()
		}
		vs := make([]float64, len(src))
		b.Run(g.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(8 * len(src)))
			for b.Loop() {
				copy(vs, src)
				report.SortFloats(vs)
			}
		})
	}
}

// BenchmarkSketchAdd adds a million numbers to a sketch.
func BenchmarkSketchAdd(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	vs := make([]float64, 1<<20)
	for i := range vs {
		vs[i] = rng.NormFloat64()
	}
	for _, bulk := range []bool{false, true} {
		b.Run(fmt.Sprintf("bulk=%v", bulk), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(8 * len(vs)))
			s := report.NewSketch(report.DefaultSketchCapacity)
			for b.Loop() {
				s.Reset()
				if bulk {
					report.AddFinite(s, vs)
					continue
				}
				for _, v := range vs {
					s.Add(v)
				}
			}
		})
	}
}

// BenchmarkSortRecords sorts the leak records of a million distinct rows
// on one goroutine, as a partition read back is sorted.
func BenchmarkSortRecords(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	src := make([]report.Record, 1<<20)
	for i := range src {
		var h [16]byte
		for k := range h {
			h[k] = byte(rng.Uint32())
		}
		src[i] = report.NewRecord(h, 0, uint16(i%3), uint32(i%8), uint64(i))
	}
	recs := make([]report.Record, len(src))
	b.ReportAllocs()
	b.SetBytes(int64(32 * len(src)))
	for b.Loop() {
		copy(recs, src)
		report.SortRecords(recs, 1)
	}
}

// BenchmarkLeakRuns reads back and sorts the leak records of two million
// distinct rows spilled to four partition files, as a report's leak
// check does after its scan.
func BenchmarkLeakRuns(b *testing.B) {
	const n = 2 << 20
	l, err := report.NewLeakFinderForTest(n, n*32/4, 0, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	recs := make([]report.Record, 0, 1024)
	for i := range n {
		var h [16]byte
		for k := range h {
			h[k] = byte(rng.Uint32())
		}
		if recs = append(recs, report.NewRecord(h, 0, uint16(i%3), uint32(i%8), uint64(i))); len(recs) == cap(recs) {
			if err := l.Add(recs...); err != nil {
				b.Fatal(err)
			}
			recs = recs[:0]
		}
	}
	b.ReportAllocs()
	b.SetBytes(32 * n)
	for b.Loop() {
		runs, err := l.Runs()
		if err != nil || len(runs) != 0 {
			b.Fatal(runs, err)
		}
	}
}

// genRow is a row shaped like gen's.
type genRow struct {
	ID     int64     `parquet:"id"`
	UserID int64     `parquet:"user_id"`
	Label  string    `parquet:"label"`
	X1     float64   `parquet:"x1"`
	X2     *float64  `parquet:"x2,optional"`
	Text   string    `parquet:"text"`
	TS     time.Time `parquet:"ts,timestamp(microsecond)"`
}

// BenchmarkScanBatch summarizes a 65536-row batch shaped like gen's
// table (every column, and every row's leak record), read in place and
// as a split's picked rows (80%).
func BenchmarkScanBatch(b *testing.B) {
	schema := parquet.SchemaOf(genRow{})
	layout, err := columnar.LayoutOf(schema)
	if err != nil {
		b.Fatal(err)
	}
	const n = 1 << 16
	rng := rand.New(rand.NewPCG(1, 2))
	batch := columnar.New(layout, n)
	labels := []string{"cat", "dog", "bird"}
	text := make([]byte, 40)
	for i := range n {
		for k := range text {
			text[k] = 'a' + byte(rng.IntN(26))
		}
		x2 := rng.NormFloat64()
		row := genRow{ID: int64(i), UserID: rng.Int64N(n / 20), Label: labels[rng.IntN(3)], X1: rng.Float64(), Text: string(text), TS: time.UnixMicro(1.7e15 + rng.Int64N(1e13)).UTC()}
		if i%10 != 0 {
			row.X2 = &x2
		}
		for _, v := range schema.Deconstruct(nil, &row) {
			if err := batch.Cols[v.Column()].AppendValue(v); err != nil {
				b.Fatal(err)
			}
		}
		batch.Len++
	}
	var sel []int32
	for i := range int32(n) {
		if rng.Float64() < 0.8 {
			sel = append(sel, i)
		}
	}
	for _, tc := range []struct {
		name string
		rows columnar.Rows
	}{{"batch", batch}, {"pick", columnar.PickRows(batch, sel)}} {
		b.Run(tc.name, func(b *testing.B) {
			scan, err := report.NewBatchScan(schema)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(tc.rows.NumRows()))
			for b.Loop() {
				if got := scan(tc.rows); got != tc.rows.NumRows() {
					b.Fatalf("%d leak records for %d rows", got, tc.rows.NumRows())
				}
			}
		})
	}
}

// BenchmarkHashLog finds the shared hashes of two million distinct rows
// in a log spilled to its file, in one range of buckets and in two, on
// one goroutine and on two, as the leak check of a report inside a run
// does after its scan.
func BenchmarkHashLog(b *testing.B) {
	const n = 2 << 20
	for _, ranges := range []int{1, 2} {
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("ranges=%d/workers=%d", ranges, workers), func(b *testing.B) {
				l := report.NewHashLogForTest(n/8, n/ranges+n/64, b.TempDir())
				defer l.Close()
				rng := rand.New(rand.NewPCG(1, 2))
				hs := make([]uint64, 1024)
				for i := range n / len(hs) {
					for k := range hs {
						hs[k] = rng.Uint64()
					}
					if err := l.Add(uint32(i%8), uint16(i%3), uint64(i/8*len(hs)), hs); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportAllocs()
				b.SetBytes(8 * n)
				for b.Loop() {
					got, err := l.Candidates(workers, nil)
					if err != nil || len(got) != 0 {
						b.Fatal(len(got), err)
					}
				}
			})
		}
	}
}

// BenchmarkHashLogAdd adds the hashes of two million rows to a log,
// 4,096 rows at a time, spilled beyond 2 MiB, as a scan does.
func BenchmarkHashLogAdd(b *testing.B) {
	const n = 2 << 20
	rng := rand.New(rand.NewPCG(1, 2))
	hs := make([]uint64, n)
	for i := range hs {
		hs[i] = rng.Uint64()
	}
	dir := b.TempDir()
	b.ReportAllocs()
	b.SetBytes(8 * n)
	for b.Loop() {
		l := report.NewHashLogForTest(n/8, n, dir)
		for at := 0; at < n; at += 4096 {
			if err := l.Add(uint32(at%8), 0, uint64(at), hs[at:at+4096]); err != nil {
				b.Fatal(err)
			}
		}
		l.Close()
	}
}
