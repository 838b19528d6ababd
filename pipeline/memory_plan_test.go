package pipeline

import (
	"testing"

	"github.com/splitdata/splitdata/sinks"
)

// planShapes are output shapes that stream their row groups under small
// budgets: the wide shape of benchmarks/peers.sh, a narrow one, a very
// wide one, and the row path (parquet-go writes every column) with long
// rows, whose finished row group is read back whole.
var planShapes = []struct {
	name string
	o    outputShape
}{
	{"wide", outputShape{rowBytes: 700, encodedBytes: 270, rowGroupRows: 131072, rows: 2_000_000, pageBytes: sinks.DefaultPageBufferSize, leaves: 20, outputs: 2, workers: 2, canStream: true}},
	{"narrow", outputShape{rowBytes: 90, encodedBytes: 49, rowGroupRows: 131072, rows: 5_000_000, pageBytes: sinks.DefaultPageBufferSize, leaves: 7, outputs: 2, workers: 2, canStream: true}},
	{"many columns", outputShape{rowBytes: 4000, encodedBytes: 1500, rowGroupRows: 8192, rows: 100_000, pageBytes: 64 << 10, leaves: 400, outputs: 3, workers: 4, canStream: true, reencoder: sinks.PooledReencoderBytes(64 << 10)}},
	{"row path, long rows", outputShape{rowBytes: 9000, encodedBytes: 3000, rowGroupRows: 131072, rows: 1_000_000, pageBytes: sinks.DefaultPageBufferSize, leaves: 12, outputs: 2, workers: 2, rowPath: true, canStream: true, reencoder: sinks.PooledReencoderBytes(sinks.DefaultPageBufferSize)}},
	{"row path, short rows", outputShape{rowBytes: 90, encodedBytes: 20, rowGroupRows: 10_000, rows: 1_000_000, pageBytes: sinks.DefaultPageBufferSize, leaves: 5, outputs: 2, workers: 2, rowPath: true, canStream: true, reencoder: sinks.PooledReencoderBytes(sinks.DefaultPageBufferSize)}},
	{"row path, strings", outputShape{rowBytes: 870, encodedBytes: 270, rowGroupRows: 131072, rows: 2_000_000, pageBytes: sinks.DefaultPageBufferSize, leaves: 20, byteArrays: 20, outputs: 2, workers: 2, rowPath: true, canStream: true, reencoder: sinks.PooledReencoderBytes(sinks.DefaultPageBufferSize)}},
}

// The page writers of a streaming job keep a buffer of one compressed
// page per column (reserved at the compression bound of 9/8 of a page) in
// each output's open row group and the W being finished: the blocks
// (spoolBudget) get what the heap budget leaves beside streamHeap and
// those pages, so that the three fit in it wherever the blocks get any.
// Dropping the kept pages from spoolBudget makes this fail.
func TestStreamPlanCountsKeptPages(t *testing.T) {
	for _, tc := range planShapes {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			kept := int64(o.leaves) * int64(o.outputs+o.workers) * (o.pageBytes + o.pageBytes/8)
			least := streamNeed(o)
			blocked := 0
			for _, memory := range []int64{least, least + 8<<20, least + 16<<20, least + 32<<20, 2 * least, 4 * least, 16 * least} {
				heap := heapBudget(memory)
				blocks := spoolBudget(memory, o)
				if blocks > heap/8 || blocks < 0 {
					t.Fatalf("under %d MiB: blocks of %d MiB, want at most an eighth of the heap budget", memory>>20, blocks>>20)
				}
				if blocks == 0 {
					continue
				}
				blocked++
				if sum := streamHeap(o) + kept + blocks; sum > heap {
					t.Errorf("under %d MiB: streamHeap %d MiB + kept pages %d MiB + blocks %d MiB = %d MiB, more than the heap budget %d MiB",
						memory>>20, streamHeap(o)>>20, kept>>20, blocks>>20, sum>>20, heap>>20)
				}
			}
			if blocked == 0 {
				t.Fatalf("no budget gave blocks")
			}
		})
	}
}

// On the row path a finished row group is read back into a buffer of its
// encoded size, at readBackBytes a row, and its dictionary indexes are
// re-encoded in it, with at most sinks.ReencodedAsideBytes and a page of
// pages aside: that fits beside the rest of the plan, the job window (H/8
// when streaming) that the row group holds taking the row group where it
// can. The columnar path counts the row group once at encodedBytes.
func TestStreamPlanHoldsReadBack(t *testing.T) {
	for _, tc := range planShapes {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			heap := streamHeap(o)
			group := min(o.rowGroupRows, o.rows) * o.readBackBytes()
			o.rowGroupRows, o.rows = 1, 1
			base := streamHeap(o) - o.readBackBytes() // the plan without its row group
			if held := base + group; held > heap+inFlight(memoryFor(heap), true) {
				t.Fatalf("streamHeap = %d MiB, job window %d MiB: a row group of %d MiB beside %d MiB does not fit",
					heap>>20, inFlight(memoryFor(heap), true)>>20, group>>20, base>>20)
			}
			if tc.o.rowPath {
				if aside := readBackHeap(0, 0, o.pageBytes, true); aside < sinks.ReencodedAsideBytes+o.pageBytes {
					t.Errorf("the row path counts %d bytes for the pages re-encoded aside, want at least %d", aside, sinks.ReencodedAsideBytes+o.pageBytes)
				}
			}
		})
	}
}

// The row path's read-back row groups of the wide shape of
// benchmarks/peers.sh (--group s00: 131072 rows of 20 strings, 270 bytes
// a row in the input, which stores their lengths DELTA_LENGTH) measured
// 38.77 MB, 296 bytes a row, as parquet-go writes each length in 4
// bytes: readBackBytes counts at least that, and the least budget of the
// job stays within the --memory 128MiB that benchmarks/memory.sh runs
// it under. Counting the row group at the input's bytes a row, or twice
// (a copy while its indexes were re-encoded), fails one or the other.
func TestStreamPlanRowPathWide(t *testing.T) {
	o := outputShape{rowBytes: 870, encodedBytes: 270, rowGroupRows: 131072, rows: 2_000_000, pageBytes: sinks.DefaultPageBufferSize,
		leaves: 20, byteArrays: 20, outputs: 2, workers: 2, rowPath: true, canStream: true}
	const measured = 38_770_000
	if got := min(o.rowGroupRows, o.rows) * o.readBackBytes(); got < measured {
		t.Errorf("a read-back row group is counted at %d bytes, below the %d measured", got, measured)
	}
	stream, need := outputMemory(128<<20, o)
	if !stream || need > 128<<20 {
		t.Errorf("outputMemory(128 MiB) = %v, %d MiB; want streamed within 128 MiB", stream, need>>20)
	}
	if err := checkMemory(128<<20, o); err != nil {
		t.Error(err)
	}
}

// The wide shape of benchmarks/peers.sh keeps up to 71.25 MiB in its
// page writers (sinks.PooledWriterBytes each, less the page being
// filled), and 4 MiB in the pricers of its 4 row groups (75.25 MiB; its
// columns are all the page writer's, so since session 20 no re-encoder
// of the 2 being finished is counted, 6.5625 MiB more before): under --memory
// 128MiB and 160MiB its blocks give them their room (none left), under
// 224MiB they shrink by them (under the default from
// their eighth of the heap budget, 26.25 MiB, to 22.4 in session 18,
// which counted the pricers and re-encoders, and back to their eighth
// since session 20, which counts no re-encoder); its least budget does
// not move.
func TestStreamPlanKeptPagesShrinkBlocks(t *testing.T) {
	o := planShapes[0].o
	if kept := keptPages(o); kept != 75<<20+256<<10 {
		t.Fatalf("keptPages = %d, want 75.25 MiB", kept)
	}
	tests := []struct {
		memory, blocks int64
	}{
		{128 << 20, 0},
		{160 << 20, 0},
		{224 << 20, heapBudget(224<<20) - streamHeap(o) - keptPages(o)},
		{DefaultMemoryLimit, heapBudget(DefaultMemoryLimit) / 8},
	}
	for _, tc := range tests {
		if stream, need := outputMemory(tc.memory, o); !stream || need > tc.memory {
			t.Fatalf("outputMemory(%d MiB) = %v, %d MiB, want streamed within it", tc.memory>>20, stream, need>>20)
		}
		if got := spoolBudget(tc.memory, o); got != tc.blocks {
			t.Errorf("spoolBudget(%d MiB) = %d, want %d", tc.memory>>20, got, tc.blocks)
		}
	}
	if h := heapBudget(224 << 20); h/8 <= h-streamHeap(o)-keptPages(o) {
		t.Fatalf("under 224 MiB the blocks keep their eighth: the case does not shrink them")
	}
}

// A held job's row groups are encoded into buffers of an encoded row
// group and an eighth, W at once, and the encoder keeps
// sinks.IdleEncodeBuffers more for the next ones: its least budget holds
// them beside the row groups held as decoded rows. Leaving them out of
// heldNeed (as up to session 17) makes this fail.
func TestHeldPlanCountsEncodeBuffers(t *testing.T) {
	for _, tc := range planShapes {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			group := min(o.rowGroupRows, o.rows)
			buffers := int64(o.workers+sinks.IdleEncodeBuffers) * (group*o.encodedBytes + group*o.encodedBytes/8)
			need := minMemory + outputGroups(o.outputs, o.rowPath)*group*o.rowBytes + buffers
			if h := heapBudget(heldNeed(o)); h < heldHeap(need, o.rowPath) {
				t.Errorf("heldNeed = %d MiB, heap budget %d MiB: less than the %d MiB that hold its row groups and %d MiB of encode buffers",
					heldNeed(o)>>20, h>>20, heldHeap(need, o.rowPath)>>20, buffers>>20)
			}
		})
	}
}
