package pipeline

import (
	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/sinks"
)

// How a job holds its output row groups under its memory budget: held as
// decoded rows, or streamed (see outputMemory), and what each way needs.

// outputShape is what the memory a job's output row groups take depends
// on.
type outputShape struct {
	rowBytes     int64 // mean decoded bytes of a row
	encodedBytes int64 // mean encoded bytes of a row (0: not known)
	rowGroupRows int64
	rows         int64 // the job's rows
	pageBytes    int64 // uncompressed bytes of an output page
	leaves       int   // output columns
	byteArrays   int   // output columns of byte arrays (see readBackBytes)
	outputs      int
	workers      int
	rowPath      bool
	canStream    bool  // the encoder encodes a row group a piece at a time
	noReadBack   bool  // no finished streamed row group is read back whole (!sinks.StreamReadsBack)
	reencoder    int64 // an index re-encoder's pooled scratch (sinks.ReencoderBytes)
}

// outputMemory says how a job holds its output row groups under memory,
// and the least memory that way needs (0 when nothing is known):
//
//   - held: an output row group is encoded once all its rows are there
//     (W at a time, each into a buffer of its encoded size and an eighth,
//     the encoder keeping sinks.IdleEncodeBuffers more for the next ones:
//     encodeBuffers; its dictionary indexes are re-encoded in it, where
//     they may be, with up to sinks.ReencodedAsideBytes and a page aside,
//     left to the headroom the factor of heldHeap leaves),
//     so each output holds one pending as decoded rows, and one more is
//     being encoded (two on the row path, whose encoders copy the rows
//     into the Parquet writer's buffers); with minMemory for the rest,
//     they must fit in what the windows of units and jobs in flight (H/6
//     each, inFlight) and the pool of decoded batches (H/16 on the
//     columnar path, recycleBytes) leave of the heap budget: 29/48 of it
//     on the columnar path (heldHeap; the row path assumes 3/4). Measured on
//     2M rows of 20 strings (about 460 bytes a row, 58 MiB an output row
//     group): a split under --memory 256MiB, which the windows alone
//     leave too little, peaked at 389 MiB.
//   - streamed (rowgroup_stream.go), when held does not fit and the
//     encoder can: each output's open row group is encoded as its rows
//     come, so it holds one page per column being filled (pageBytes
//     uncompressed) and a buffer of one compressed page per column that
//     the page writer keeps from piece to piece and row group to row
//     group (keptPages); W more are being finished, as many. Its finished
//     pages go to blocks of a pool shared by the job's streams
//     (spoolBudget: what this leaves of the heap budget, at most H/8),
//     and beyond it to temporary files. A finished row group whose
//     columns are all the page writer's keeps its pages there until it
//     is written, a block at a time; another (rows, columns parquet-go
//     writes) is read back into one buffer of its encoded size, in
//     which its dictionary indexes are re-encoded (counted on the row
//     path at readBackBytes a row, with the pages kept aside meanwhile:
//     readBackHeap), and holds the job window (all of it, if
//     larger) until it is written; one left in blocks holds none of the
//     window (rowGroupStreams.settle). So the windows, minMemory and the
//     pages, plus, where the schema has a column parquet-go writes or on
//     the row path, that one finished row group that may exceed the
//     window, must fit (streamHeap); the blocks take what is left.
//     Measured on the wide shape of benchmarks/peers.sh (2M rows of 20
//     strings, 35 MiB an encoded output row group): a split under
//     --memory 128MiB peaked at 136-168 MiB of RSS, under the default
//     240 MiB at 245 MB; its anonymous memory under 128MiB at 102 MiB,
//     the rest being the binary's pages (see the top of memory.go). On
//     the row path (--group s00 on that shape) the live heap exceeded
//     the heap budget until session 17 (127 MB under --memory 128MiB,
//     H = 112 MiB: the read-back row group twice, 2 x 38.8 MB, and row
//     arenas of 30 MB); now it peaks at 90 MB there, and at 78 MB under
//     its least budget, 107 MiB. Its anonymous memory went to 122-125 MiB
//     (134-140 before) and 114 MiB under 107 MiB: the collector let the
//     heap reach the soft limit, and a row group's 39 MB buffer came on
//     top at once; read back into a buffer allocated after a collection
//     where it would pass the limit (sinks' makeLarge), 110 and 89 MiB.
//
// Streaming costs speed (an output's row group is encoded by one
// goroutine as its rows arrive, where held row groups are encoded W at a
// time), so it is used only where held row groups do not fit.
func outputMemory(memory int64, o outputShape) (stream bool, need int64) {
	held := heldNeed(o)
	if memory <= 0 || held <= memory || !o.canStream || o.encodedBytes <= 0 {
		return false, held
	}
	streamed := streamNeed(o)
	if streamed < held {
		return true, streamed
	}
	return false, held
}

// outputGroups is the number of output row groups a job of outputs
// outputs holds at most (see outputMemory).
func outputGroups(outputs int, rowPath bool) int64 {
	if rowPath {
		return int64(outputs) + 2
	}
	return int64(outputs) + 1
}

// heldNeed is the least memory that holds a job's output row groups as
// decoded rows beside the windows of rows in flight (see outputMemory),
// or 0 when nothing is known.
func heldNeed(o outputShape) int64 {
	return needFor(o.rowBytes, outputGroups(o.outputs, o.rowPath), o)
}

// streamNeed is the least memory a streaming job needs (see
// outputMemory): a budget whose heap budget holds streamHeap.
func streamNeed(o outputShape) int64 {
	heap := streamHeap(o)
	if heap <= 0 || heap >= 1<<61 {
		return heap
	}
	return memoryFor(heap)
}

// streamHeap is the least heap budget of a streaming job: the windows (a
// fraction of it), minMemory and the pages of the row groups being
// encoded beside them, and, where one can be (sinks.StreamReadsBack; not
// o.noReadBack), one finished row group read back whole, which holds the
// job window; on the row path that row group is counted at readBackBytes
// a row, with the pages re-encoded aside while its dictionary indexes are
// (readBackHeap). Whatever is left, up to an eighth, holds the compressed
// pages the page writers keep (keptPages) and pages in blocks
// (spoolBudget). 0 when nothing is known.
//
// A finished row group whose columns are all the page writer's stays in
// the blocks and a temporary file and holds none of the window
// (rowGroupStreams.settle), whatever its values (the page writer leaves
// long page bounds out as it writes): up to session 20 it was counted
// too, which made the least budget of wide rows grow with the row group,
// not the page size. `splitdata gen --rows 300000 --string-columns 300`
// (4367 bytes a row, 572 MB an output row group of 131072 rows) needed
// 1210 MiB, the default budget rose to it and the split peaked at 1.09
// GB of RSS; it needs 665 MiB now (its 300 columns' pages, 4 row groups
// of them, doubled), and peaks at 603-606 MB under the default, 618-622
// MB under --memory 665MiB, 223-231 MB under --memory 240MiB --page-size
// 64KiB. The wide shape of benchmarks/peers.sh needs 83 MiB (121 before),
// and peaks there at 101 MB; the kept pages (keptPages), which its blocks
// cannot give room under that budget, take the collector's headroom.
func streamHeap(o outputShape) int64 {
	group := min(o.rowGroupRows, o.rows)
	if group <= 0 || o.encodedBytes <= 0 {
		return 0
	}
	if group >= (1<<56)/o.readBackBytes() || o.leaves > 1<<20 || o.pageBytes > 1<<32 {
		return 1 << 62
	}
	pages := int64(o.leaves) * o.pageBytes * int64(o.outputs+o.workers)
	rest := minMemory + pages
	if o.rowPath {
		rest = rest * 4 / 3
	} else {
		rest *= 2
	}
	if o.noReadBack {
		return rest
	}
	return readBackHeap(rest, group*o.readBackBytes(), o.pageBytes, o.rowPath)
}

// readBackBytes is the estimated bytes a row takes in a finished row
// group read back whole: the inputs' encoded bytes a row (encodedBytes),
// and on the row path, whose column chunks parquet-go writes, 4 more per
// byte-array column, the length it writes before each value (PLAIN),
// which inputs with DELTA_LENGTH_BYTE_ARRAY or DELTA_BYTE_ARRAY pages
// store in about a byte: the wide shape of benchmarks/peers.sh (20
// strings, 270 bytes a row in its input) read back 296 bytes a row,
// which the plan counted at 270 (at 350 now). A bound, not a fit: for
// an input whose lengths are PLAIN already it counts up to 4 bytes a
// value too many.
func (o outputShape) readBackBytes() int64 {
	if !o.rowPath || o.encodedBytes <= 0 {
		return o.encodedBytes
	}
	return o.encodedBytes + 4*int64(min(max(o.byteArrays, 0), 1<<20))
}

// keptPages is what the page writers of a streaming job keep from piece
// to piece and row group to row group besides the page being filled: in
// each of the outputs' open row groups and the W being finished, a writer
// per column, pooled and reused, whose page scratch (the values, their
// encoding, the encoded and the compressed page, the buffer the page
// written last waits in before it moves to the blocks) the pool bounds
// at sinks.PooledWriterBytes; counted at that less the page streamHeap
// counts. The pages are on their way to the blocks, so the blocks get
// what the heap budget leaves beside streamHeap and them (spoolBudget):
// the wide shape of benchmarks/peers.sh (20 strings, 2 outputs, W=2)
// keeps up to 71.25 MiB; under the default 240 MiB its blocks keep their
// H/8, 26 MiB, under --memory 224MiB they go from 24.5 MiB to 19, and
// under 160MiB, where they had 11.75 MiB, to none. Counting the kept
// pages in streamHeap too would raise the wide shape's least budget from
// 121 MiB to 209 MiB, though under 128MiB its anonymous memory peaked at
// 102 MiB (see the top of memory.go), its writers keeping 2.33 pages
// each; where the blocks cannot give them room, they take the
// collector's headroom that streamHeap's factor of 2 leaves. Until
// session 17 the writers were counted at 9/8 of a page (the compressed
// page alone) while the pool kept a writer of up to 16 MiB: 4.34 pages
// were measured on the mixed shape.
//
// Since session 18 it also counts the dictionary pricers those row
// groups keep pooled (sinks.PooledPricerBytes each; a stream prices its
// sample as it starts, or as it finishes when shorter) and the index
// re-encoders of the W being finished (sinks.PooledReencoderBytes), up
// to 16 MiB each and uncounted before; they take the blocks' room too.
// Since session 20 a re-encoder is counted only where the schema has a
// column it may re-encode (o.reencoder, sinks.ReencoderBytes): none of a
// batch job whose columns are all the page writer's.
func keptPages(o outputShape) int64 {
	if o.leaves > 1<<20 || o.pageBytes > 1<<32 || o.outputs > 1<<16 || o.workers > 1<<16 {
		return 1 << 62
	}
	groups := int64(o.outputs + o.workers)
	writers := int64(o.leaves) * (sinks.PooledWriterBytes(o.pageBytes) - o.pageBytes) * groups
	return writers + groups*sinks.PooledPricerBytes + int64(o.workers)*o.reencoder
}

// readBackHeap is the least heap budget that holds base bytes beside a
// finished row group of group bytes read back whole. The read-back row
// group holds the job window (H/8 when streaming, inFlight), counted in
// base's share of the windows, and is counted again on top, which covers
// it where it exceeds the window. On the row path parquet-go writes every
// column, and its dictionary indexes are re-encoded in the read-back
// buffer (sinks/parquet_rle_chunks.go): the re-encoded pages wait aside,
// at most sinks.ReencodedAsideBytes and a page (of page bytes
// uncompressed, 9/8 of it compressed at worst), while the rest moves in
// place. Up to this change they were re-encoded into a second buffer of
// the row group's size, counted here as H >= base + 2 group - H/8; the
// wide shape's two 38 MB copies were the most its --group split held.
// (The columnar path re-encodes only where a column is parquet-go's, a
// case the plan does not know and leaves uncounted. A row group whose
// re-encoded pages outgrow its read-back file's page index and footer is
// re-encoded into a copy, as before: not seen, the re-encoded runs being
// chosen where they pay, so pages keep their size or shrink.)
func readBackHeap(base, group, page int64, rowPath bool) int64 {
	heap := base + group
	if rowPath {
		heap += sinks.ReencodedAsideBytes + page + page/8
	}
	return heap
}

// needFor is the least memory that holds groups output row groups of
// rowBytes bytes a row beside the windows: a budget whose heap budget
// holds them.
func needFor(rowBytes, groups int64, o outputShape) int64 {
	group := min(o.rowGroupRows, o.rows)
	if group <= 0 || rowBytes <= 0 {
		return 0
	}
	if group >= (1<<56)/rowBytes/groups {
		return 1 << 62
	}
	need := minMemory + groups*group*rowBytes + encodeBuffers(o) + heldScratch(o)
	return memoryFor(heldHeap(need, o.rowPath))
}

// heldScratch is what the encoders of a held job's row groups keep from
// row group to row group besides their buffers (encodeBuffers), for each
// of the W row groups being encoded at once: on the columnar path a page
// writer per column, whose page scratch its pool bounds at
// sinks.PooledWriterBytes; and on either path a dictionary pricer and an
// index re-encoder (sinks.PooledPricerBytes, sinks.PooledReencoderBytes).
// Each pool keeps at most as many as were in use at once. A writer's
// buffers grow only to the pages it wrote, none larger than its column's
// chunk, so the writers of a row group of d bytes decoded keep at most
// what one writer of pages of d bytes would (four and a half of them)
// and the others' slack; a pricer's sample and a re-encoder's pages are
// the row group's values too, counted at four times d at most (the
// re-encoder only where the schema has a column it may re-encode,
// o.reencoder, since session 20). So small
// row groups need little (tests run jobs of a few thousand rows under
// --memory 40MiB). Until session 18 all this was left to the headroom of
// heldHeap's factor: the writers about 15 MB on benchmarks/peers.sh's
// mixed shape (7 columns, W=2; 16 MiB counted), the pricers and
// re-encoders up to 16 MiB each (8.6 MiB counted now, their bound being
// lower); its least held budget rose from 169 to 216 MiB, within the
// default 240 MiB.
func heldScratch(o outputShape) int64 {
	group := min(o.rowGroupRows, o.rows)
	if group <= 0 || o.rowBytes <= 0 {
		return 0
	}
	if o.leaves > 1<<20 || o.pageBytes > 1<<32 || o.workers > 1<<16 || group >= (1<<52)/o.rowBytes {
		return 1 << 58
	}
	decoded := group * o.rowBytes
	w := int64(max(o.workers, 1))
	n := w * min(sinks.PooledPricerBytes+o.reencoder, 4*decoded)
	if !o.rowPath && o.leaves > 0 {
		pages := int64(o.leaves) * sinks.PooledWriterBytes(o.pageBytes)
		small := sinks.PooledWriterBytes(decoded) + int64(o.leaves-1)*sinks.PooledWriterBytes(0)
		n += w * min(pages, small)
	}
	return n
}

// encodeBuffers is what the buffers held row groups are encoded into take
// beside their rows: one per row group being encoded (W), and those the
// encoder keeps for the next ones (sinks.IdleEncodeBuffers), each of an
// encoded row group and an eighth (the size hint a buffer is made at).
// Until session 17 they were left to the headroom of heldHeap's factor:
// on benchmarks/peers.sh's mixed shape (49 bytes a row encoded) they are
// 27 MiB, which raise the least budget of its held split from about 124
// to 169 MiB; its default budget still holds it, and under 64MiB it
// streamed before as after (the five shapes' ways did not change).
func encodeBuffers(o outputShape) int64 {
	group := min(o.rowGroupRows, o.rows)
	if group <= 0 || o.encodedBytes <= 0 {
		return 0
	}
	if group >= (1<<52)/o.encodedBytes || o.workers > 1<<16 {
		return 1 << 58
	}
	buffers := int64(max(o.workers, 1) + sinks.IdleEncodeBuffers)
	return buffers * (group*o.encodedBytes + group*o.encodedBytes/8)
}

// heldHeap is the least heap budget H whose part the windows and the
// batch pool leave holds need bytes: H - 2 H/6 - H/16 = 29/48 H on the
// columnar path (see inFlight and recycleBytes); the factor used up to
// 0.7.0, 2, was that of earlier windows. The row path keeps its 4/3,
// though its windows (2 H/6, no batch pool) leave 2/3 H: 3/2 moved the
// least budget of jobs tests run at their edge (dedup_content.txtar
// under --memory 32MiB) above it.
func heldHeap(need int64, rowPath bool) int64 {
	if rowPath {
		return (need*4 + 2) / 3
	}
	return (need*48 + 28) / 29
}

// byteArrayLeaves is the number of schema's leaf columns of byte arrays
// (see readBackBytes).
func byteArrayLeaves(schema *parquet.Schema) int {
	n := 0
	for _, path := range schema.Columns() {
		if leaf, ok := schema.Lookup(path...); ok && leaf.Node.Type().Kind() == parquet.ByteArray {
			n++
		}
	}
	return n
}
