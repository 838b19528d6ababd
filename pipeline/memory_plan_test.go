package pipeline

import (
	"errors"
	"testing"

	"github.com/splitdata/splitdata/sinks"
)

// planShapes are output shapes that stream their row groups under small
// budgets: the wide shape of benchmarks/peers.sh, a narrow one, a very
// wide one, and the row path (parquet-go writes every column) with long
// rows, whose finished row group is read back and held twice.
var planShapes = []struct {
	name string
	o    outputShape
}{
	{"wide", outputShape{rowBytes: 700, encodedBytes: 270, rowGroupRows: 131072, rows: 2_000_000, pageBytes: sinks.DefaultPageBufferSize, leaves: 20, outputs: 2, workers: 2, canStream: true}},
	{"narrow", outputShape{rowBytes: 90, encodedBytes: 49, rowGroupRows: 131072, rows: 5_000_000, pageBytes: sinks.DefaultPageBufferSize, leaves: 7, outputs: 2, workers: 2, canStream: true}},
	{"many columns", outputShape{rowBytes: 4000, encodedBytes: 1500, rowGroupRows: 8192, rows: 100_000, pageBytes: 64 << 10, leaves: 400, outputs: 3, workers: 4, canStream: true}},
	{"row path, long rows", outputShape{rowBytes: 9000, encodedBytes: 3000, rowGroupRows: 131072, rows: 1_000_000, pageBytes: sinks.DefaultPageBufferSize, leaves: 12, outputs: 2, workers: 2, rowPath: true, canStream: true}},
	{"row path, short rows", outputShape{rowBytes: 90, encodedBytes: 20, rowGroupRows: 10_000, rows: 1_000_000, pageBytes: sinks.DefaultPageBufferSize, leaves: 5, outputs: 2, workers: 2, rowPath: true, canStream: true}},
}

// The least heap budget of a streaming job counts, besides the pages
// being filled, the buffer of one compressed page that every page writer
// of the outputs' open row groups and the W being finished keeps from
// piece to piece (reserved at the compression bound of 9/8 of a page):
// dropping them from the plan makes this fail.
func TestStreamPlanCountsKeptPages(t *testing.T) {
	for _, tc := range planShapes {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			writers := int64(o.leaves) * int64(o.outputs+o.workers)
			filling := writers * o.pageBytes
			kept := writers * (o.pageBytes + o.pageBytes/8)
			group := min(o.rowGroupRows, o.rows) * o.encodedBytes
			heap := streamHeap(o)
			if least := minMemory + filling + kept + group; heap < least {
				t.Fatalf("streamHeap = %d MiB, less than the pages filled and kept and a row group read back (%d MiB)", heap>>20, least>>20)
			}
			// The kept pages come on top of what the pages being filled
			// and their share of the windows take.
			o.pageBytes = 0
			if got := heap - streamHeap(o); got < filling+kept {
				t.Fatalf("the pages add %d MiB to streamHeap, want at least %d MiB (filled) + %d MiB (kept)", got>>20, filling>>20, kept>>20)
			}
		})
	}
}

// On the row path a finished row group is read back into a buffer of its
// encoded size, and its dictionary indexes are re-encoded into a second
// one while the first is held: the two fit beside the rest of the plan,
// the job window (H/8 when streaming) that the row group holds taking
// the first where it can. The columnar path counts the row group once.
func TestStreamPlanHoldsReadBackTwice(t *testing.T) {
	for _, tc := range planShapes {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			heap := streamHeap(o)
			group := min(o.rowGroupRows, o.rows) * o.encodedBytes
			o.rowGroupRows, o.rows = 1, 1
			base := streamHeap(o) - o.encodedBytes // the plan without its row group
			copies := int64(1)
			if tc.o.rowPath {
				copies = 2
			}
			if held := base + copies*group; held > heap+inFlight(memoryFor(heap), true) {
				t.Fatalf("streamHeap = %d MiB, job window %d MiB: %d copies of a row group of %d MiB beside %d MiB do not fit",
					heap>>20, inFlight(memoryFor(heap), true)>>20, copies, group>>20, base>>20)
			}
		})
	}
}

// A plan that counts the kept pages refuses a budget they break: the
// wide shape of benchmarks/peers.sh, which peaked at 136-168 MiB of RSS
// under --memory 128MiB, needs more than 128 MiB, and streams under
// 160 MiB.
func TestStreamPlanRefusesWideUnder128MiB(t *testing.T) {
	o := planShapes[0].o
	if err := checkMemory(128<<20, o); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("checkMemory(128 MiB) = %v, want ErrTooLarge", err)
	}
	if stream, need := outputMemory(160<<20, o); !stream || need > 160<<20 {
		t.Fatalf("outputMemory(160 MiB) = %v, %d MiB, want streamed within 160 MiB", stream, need>>20)
	}
	if err := checkMemory(160<<20, o); err != nil {
		t.Fatalf("checkMemory(160 MiB) = %v", err)
	}
}
