package pipeline

import (
	"testing"

	"github.com/splitdata/splitdata/sinks"
)

// The memory the plan counts since session 18 that it left to headroom
// before: the held path's page writers and the pooled dictionary pricers
// and index re-encoders (the spilling shuffle's free partition buffers:
// memory_shuffle_test.go).

// A held job's least budget holds, beside its row groups and encode
// buffers, the scratch its W encoders keep pooled: a pricer and a
// re-encoder each, and on the columnar path a page writer per column, at
// their pools' bounds, or for small row groups at what their values
// allow. Leaving heldScratch out of heldNeed (as up to session 17) makes
// this fail.
func TestHeldPlanCountsPooledScratch(t *testing.T) {
	shapes := append(planShapes[:len(planShapes):len(planShapes)], struct {
		name string
		o    outputShape
	}{"small row groups", outputShape{rowBytes: 120, encodedBytes: 42, rowGroupRows: 1000, rows: 60000, pageBytes: sinks.DefaultPageBufferSize, leaves: 8, outputs: 2, workers: 2, canStream: true}})
	for _, tc := range shapes {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			group := min(o.rowGroupRows, o.rows)
			decoded := group * o.rowBytes
			w := int64(o.workers)
			scratch := w * min(sinks.PooledPricerBytes+o.reencoder, 4*decoded)
			if !o.rowPath {
				scratch += w * min(int64(o.leaves)*sinks.PooledWriterBytes(o.pageBytes), 9*decoded/2+int64(o.leaves)*sinks.PooledWriterBytes(0))
			}
			if scratch <= 0 {
				t.Fatal("nothing to count")
			}
			need := minMemory + outputGroups(o.outputs, o.rowPath)*group*o.rowBytes + encodeBuffers(o) + scratch
			if h := heapBudget(heldNeed(o)); h < heldHeap(need, o.rowPath) {
				t.Errorf("heldNeed = %d MiB, heap budget %d MiB: less than the %d MiB that hold its row groups, encode buffers and %d KiB of pooled scratch",
					heldNeed(o)>>20, h>>20, heldHeap(need, o.rowPath)>>20, scratch>>10)
			}
		})
	}
}

// benchmarks/peers.sh's shapes (as the plan sees them at the default
// budget): counting the pooled scratch raises the least held budget of
// the mixed, one and many shapes by about 45 MiB and flights' by 38
// (since session 20, 7 MiB less: their columns are all the page
// writer's, and no re-encoder is counted), but
// each still holds its row groups under the default 240 MiB, so none
// changes way; wide streams as before.
func TestPooledScratchKeepsPeersWays(t *testing.T) {
	for _, tc := range []struct {
		name   string
		o      outputShape
		before int64 // least held budget, MiB, up to session 17
		stream bool
	}{
		{"mixed", outputShape{rowBytes: 123, encodedBytes: 49, rowGroupRows: 131072, rows: 5_000_000, pageBytes: sinks.DefaultPageBufferSize, leaves: 7, byteArrays: 2, outputs: 2, workers: 2, canStream: true}, 169, false},
		{"one, many", outputShape{rowBytes: 120, encodedBytes: 46, rowGroupRows: 131072, rows: 5_000_000, pageBytes: sinks.DefaultPageBufferSize, leaves: 7, byteArrays: 2, outputs: 2, workers: 2, canStream: true}, 164, false},
		{"flights", outputShape{rowBytes: 51, encodedBytes: 4, rowGroupRows: 131072, rows: 3_000_000, pageBytes: sinks.DefaultPageBufferSize, leaves: 5, byteArrays: 2, outputs: 2, workers: 2, canStream: true}, 70, false},
		{"wide", outputShape{rowBytes: 465, encodedBytes: 270, rowGroupRows: 131072, rows: 2_000_000, pageBytes: sinks.DefaultPageBufferSize, leaves: 20, byteArrays: 20, outputs: 2, workers: 2, canStream: true}, 598, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			held := heldNeed(tc.o)
			if held>>20 < tc.before+25 {
				t.Errorf("least held budget %d MiB, want the pooled scratch on top of %d MiB", held>>20, tc.before)
			}
			stream, need := outputMemory(DefaultMemoryLimit, tc.o)
			if stream != tc.stream || need > DefaultMemoryLimit {
				t.Errorf("under the default budget: streamed %v, need %d MiB; want streamed %v within it", stream, need>>20, tc.stream)
			}
		})
	}
}

// A streaming job's kept pages count the pricers of its outputs' and
// finishing row groups and the re-encoders of those being finished, so
// that they, streamHeap and the blocks fit in the heap budget wherever
// the blocks get any room. Leaving them out of keptPages makes this fail.
func TestStreamPlanCountsPooledScratch(t *testing.T) {
	for _, tc := range planShapes {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			groups := int64(o.outputs + o.workers)
			writers := int64(o.leaves) * groups * (sinks.PooledWriterBytes(o.pageBytes) - o.pageBytes)
			scratch := groups*sinks.PooledPricerBytes + int64(o.workers)*o.reencoder
			least := streamNeed(o)
			blocked := 0
			for _, memory := range []int64{least, least + 16<<20, least + 64<<20, 2 * least, 4 * least, 16 * least} {
				heap, blocks := heapBudget(memory), spoolBudget(memory, o)
				if blocks == 0 {
					continue
				}
				blocked++
				if sum := streamHeap(o) + writers + scratch + blocks; sum > heap {
					t.Errorf("under %d MiB: streamHeap %d MiB + writers %d MiB + pooled scratch %d MiB + blocks %d MiB, more than the heap budget %d MiB",
						memory>>20, streamHeap(o)>>20, writers>>20, scratch>>20, blocks>>20, heap>>20)
				}
			}
			if blocked == 0 {
				t.Fatal("no budget gave blocks")
			}
		})
	}
}
