package pipeline

import (
	"context"
	"fmt"
	"testing"

	"github.com/parquet-go/parquet-go"
	"golang.org/x/sync/semaphore"
)

// TestRowArenasWithinUnit checks that the arenas of a unit's splits
// allocate at most the unit's estimate, their rows' content, plus
// arenaSlack, which unitWeight charges beside the estimate: with chunks
// of a fixed 1.5 MiB of values and 1 MiB of bytes, a unit of 4.7 MB cut
// into two splits allocated 8 MB.
func TestRowArenasWithinUnit(t *testing.T) {
	tests := []struct {
		rows, leaves, strLen int
		splits               int
		share                float64 // of the rows that go to split 0
	}{
		{5343, 20, 14, 2, 0.8}, // the wide shape's units under --memory 128MiB
		{5343, 20, 14, 2, 0.5},
		{1000, 3, 30, 2, 0.9},
		{20000, 5, 8, 10, 0.1},
		{100, 2, 5, 3, 0.5},
		{40000, 20, 14, 2, 0.8}, // chunks at their largest
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%dx%d/%d", tt.rows, tt.leaves, tt.splits), func(t *testing.T) {
			// The unit's estimate as unitBytes makes it: the values' bytes
			// and a parquet.Value per leaf and a row header per row.
			est := int64(tt.rows) * (int64(tt.leaves*tt.strLen) + unitRowBytes(int64(tt.leaves), false, false))
			arenas := newRowArenas(tt.splits, est)
			str := make([]byte, tt.strLen)
			row := make(parquet.Row, tt.leaves)
			for c := range row {
				row[c] = parquet.ByteArrayValue(str).Level(0, 0, c)
			}
			for i := range tt.rows {
				s := 0
				if float64(i%100) >= 100*tt.share {
					s = 1 + i%(tt.splits-1)
				}
				arenas[s].clone(row)
			}
			var alloc, content int64
			for s := range arenas {
				alloc += arenas[s].allocated()
				content += arenas[s].content()
			}
			if slack := arenaSlack(tt.splits, est); alloc > content+slack || alloc > est+slack {
				t.Errorf("arenas allocated %d bytes for %d of content, estimate %d: more than either and the slack %d", alloc, content, est, slack)
			}
		})
	}
}

// TestRowArenaClonesOwned checks that cloned rows keep their values and
// share no memory with the rows they were cloned from, whatever the
// chunk sizes.
func TestRowArenaClonesOwned(t *testing.T) {
	for _, est := range []int64{0, 1, 100 << 10, 64 << 20} {
		arenas := newRowArenas(1, est)
		long := make([]byte, 300<<10) // above a quarter of any chunk
		buf := []byte("abcdefgh")
		var got []parquet.Row
		for i := range 5000 {
			buf[0] = byte('a' + i%26)
			row := parquet.Row{parquet.ByteArrayValue(buf).Level(0, 0, 0), parquet.Int64Value(int64(i)).Level(0, 0, 1), parquet.ByteArrayValue(long[:i%7*(50<<10)]).Level(0, 0, 2)}
			got = append(got, arenas[0].clone(row))
		}
		buf[0] = '!'
		for i, row := range got {
			if s := row[0].ByteArray(); s[0] != byte('a'+i%26) || string(s[1:]) != "bcdefgh" || row[1].Int64() != int64(i) || len(row[2].ByteArray()) != i%7*(50<<10) {
				t.Fatalf("estimate %d: row %d = %v, changed after it was cloned", est, i, row)
			}
		}
	}
}

// holdOrderer is an orderer whose add reports whether the unit window
// still holds the unit being added.
type holdOrderer struct {
	inputOrder
	window *semaphore.Weighted
	size   int64
	holds  []bool
}

func (o *holdOrderer) add(routed, putFunc) error {
	free := o.window.TryAcquire(o.size)
	if free {
		o.window.Release(o.size)
	}
	o.holds = append(o.holds, !free)
	return nil
}

// TestDispatchHoldsUnitWindow checks that a unit holds its weight of the
// unit window until the orderer has taken its rows: handing them on may
// wait for the job window, and a unit released before waited there
// outside both windows.
func TestDispatchHoldsUnitWindow(t *testing.T) {
	const size = 100
	ctx := context.Background()
	unitWindow := semaphore.NewWeighted(size)
	o := &holdOrderer{window: unitWindow, size: size}
	e := &engine{order: o, workers: 1, unitsInFlight: size, jobsInFlight: size, layout: wholeJob{}}
	in := make(chan routed, 3)
	for seq := range 3 {
		e.units = append(e.units, unit{seq: seq, rows: 1, bytes: 30})
		if err := unitWindow.Acquire(ctx, e.unitWeight(e.units[seq])); err != nil {
			t.Fatal(err)
		}
		in <- routed{seq: seq}
	}
	close(in)
	err := e.dispatch(ctx, in, func() error { return nil }, make(chan rowGroupJob), unitWindow, semaphore.NewWeighted(size), 0)
	if err != nil {
		t.Fatal(err)
	}
	for seq, held := range o.holds {
		if !held {
			t.Errorf("unit %d was let go of the unit window before the orderer had its rows", seq)
		}
	}
	if !unitWindow.TryAcquire(size) {
		t.Error("the unit window is not empty once every unit is dispatched")
	}
}
