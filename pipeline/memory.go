package pipeline

import (
	"errors"
	"fmt"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/sinks"
	"github.com/splitdata/splitdata/sources"
	"github.com/splitdata/splitdata/splitter"
)

// The memory budget. JobOptions.MemoryLimit (the CLI's --memory) bounds the
// whole process. Part of it, the reserve (memoryReserve), is left to what
// the process holds whatever the job: the binary's pages, the runtime, the
// cloud SDKs (about 50 MB resident at start-up). The rest, the heap budget
// H (heapBudget), is the Go runtime's soft limit (GoMemoryLimit), and
// everything the engine holds is sized from it:
//
//   - units: a row group estimated above unitBudget bytes decoded is read
//     in units of rows below it (engine_units.go), but one within two
//     budgets whose costliest column has no page start near its middle
//     is read whole, so that no page is decompressed by two units;
//   - units in flight between the readers and the dispatcher: at most
//     H/6 bytes of estimated decoded rows, H/8 when the output row groups
//     are streamed (inFlight; at least one unit), a unit at most an
//     (W+1)th of H/8, or two of them (a row group read whole, above);
//     batches outlive that window: decoded
//     batches kept for reuse, at most H/16 (recycleBytes, batchPool; one
//     per worker when streaming), and units read in place by row groups
//     being encoded;
//   - row-group jobs in flight between the dispatcher and the writer: as
//     many bytes of estimated decoded rows (at least one job);
//   - output row groups: held as decoded rows where they fit, else
//     streamed, encoded as their rows come with their pages in pooled
//     blocks and beyond them temporary files (outputMemory,
//     rowgroup_stream.go);
//   - a unit that cannot be cut and exceeds H/2 is refused (checkUnits);
//     a unit's estimate counts its row group's decoded dictionaries whole,
//     which every unit of the row group holds (shared on the columnar
//     path), so a row group whose dictionaries break H/2 is refused too,
//     whatever its units;
//   - a shuffle holds or spills by ShuffleMemory, H/2 by default (a
//     spilling one's two partitions held at once and its free partition
//     buffers together, shufflePartitions), and the per-row state of
//     --stratify, --order-by and --group (its rows' group keys) stays in
//     memory up to it; a job with both splits it between them, the
//     shuffle keeping at least half (rowStateShares);
//   - beside that state, before any unit is read, the radix select of
//     their boundaries takes half of what it leaves of H (searchMemory),
//     the collector's headroom being the other half;
//   - the encoders' pooled scratch: page writers, dictionary pricers and
//     index re-encoders kept for the next row groups, at most as many as
//     were in use at once, each within its bound in sinks (heldScratch,
//     keptPages).
//
// run-shard is sized as a split (shardMemory); merge holds one shard row
// group at a time, up to memory/2 (checkGroupMemory); verify --input keeps
// per-row state up to memory/2; inspect refuses a footer above memory/2.
// The rest is for the encoders' buffers, the decoders' pages (pooled
// page buffers, and the decompressed pages at units' edges that the next
// unit reads again: at most H/16 kept and H/16 for reuse, from the
// runtime's soft limit, sources/parquet_direct_edges.go), the columnar
// routes' idle scratch (5 bytes a row of a unit, 13 when shuffling, at most H/32 and 8 MiB
// kept, engine_route.go) and the runtime, and is the collector's headroom: the windows and the pool take
// 19/48 of H (5/16 when streaming), so that with the output row groups of the usual shapes the
// live data stays near half of H. Under a soft limit, a live heap near the
// limit makes the collector run back to back and the runtime return freed
// pages to the system, which the next allocations fault in again: with the
// windows at H/4 and the pool at H/8 (up to splitdata 0.6.0) the live heap
// was about 0.8 of H, and a split of benchmarks/peers.sh's mixed shape took
// 7.8 CPU-s and 142k page faults under --memory 128MiB against 4.1 CPU-s
// under 400MiB (now 5.9 CPU-s and 63k faults, with direct page decoding,
// sources/parquet_direct.go). Windows of H/8 read ahead too little to
// keep both cores busy on held row groups, so those take H/6 (inFlight).
// Estimates
// come from the footers, so these are targets, not guarantees: the
// process's peak is measured by benchmarks/memory.sh.
//
// What the plan counts is the runtime's: under the soft limit the
// anonymous memory of a split stays near H, peaks of 46-59 MiB under
// --memory 64MiB and 102-114 MiB under 128MiB on benchmarks/peers.sh's
// shapes (session 16, sampled from /proc). Its peak RSS is higher by the
// binary's pages read from its file, about 39 MiB, which the reserve
// (M/8 below 256 MiB) does not cover: 85-99 MiB under 64MiB, 141-153
// MiB under 128MiB. Those pages are the kernel's to drop under a
// cgroup's limit, the anonymous memory is not.
//
// The edge pages and route scratch above are the process's, shared by
// the jobs it runs, and size themselves from its soft limit when it is
// below their caps (16, 16 and 8 MiB). GoMemoryLimit sets that limit to
// one job's heap budget, so a process running several jobs at once
// should set it itself, to what all of them may take, rather than per
// job.

// MemoryReserve is the most of a memory budget (JobOptions.MemoryLimit,
// --memory) that is left to the process's baseline, which is there
// whatever the job: the binary's pages, the runtime's own structures, the
// cloud SDKs' state (a split of a tiny file peaks at about 55 MB RSS). A
// budget M keeps min(M/8, MemoryReserve) back; the rest is the heap
// budget, which the engine sizes what it holds from and which is the Go
// runtime's soft limit. So the default, DefaultMemoryLimit (240 MiB),
// holds 210 MiB of heap, and a split under it peaks under 300 MB (10^6
// bytes) on the shapes of benchmarks/peers.sh.
const MemoryReserve = 32 << 20

// memoryReserve is what a budget of memory bytes keeps back for the
// process's baseline (see MemoryReserve).
func memoryReserve(memory int64) int64 {
	return min(memory/8, MemoryReserve)
}

// heapBudget is the heap budget of a budget of memory bytes: what the
// engine holds is sized from it, and it is the Go runtime's soft limit.
// It is 0 when memory is (no budget).
func heapBudget(memory int64) int64 {
	if memory <= 0 {
		return 0
	}
	return memory - memoryReserve(memory)
}

// memoryFor is the least budget (--memory) whose heap budget is at least
// heap bytes: the inverse of heapBudget, which the refusals quote.
func memoryFor(heap int64) int64 {
	if heap <= 0 {
		return 0
	}
	if heap >= 1<<61 {
		return 1 << 62
	}
	m := heap + (heap+6)/7
	if heap >= 7*MemoryReserve {
		m = heap + MemoryReserve
	}
	// The rounding down of m/8 may leave a few bytes to spare: each step
	// down takes at least 7/8 of a byte off the heap budget.
	for range 16 {
		if m <= 1 || heapBudget(m-1) < heap {
			break
		}
		m--
	}
	return m
}

// TempStoreMemory is what the write buffers of a job's TempStore
// (JobOptions.TempStore, a bucket --temp-dir: storage.ScratchOptions.Memory)
// may take under a budget of memory bytes (0: DefaultMemoryLimit): a
// sixteenth of it. They hold what a spilling shuffle and the per-row
// state beyond ShuffleMemory write on their way to the bucket, so the
// default ShuffleMemory of a job with a TempStore leaves them out of its
// half of the heap budget (shuffleShare).
func TempStoreMemory(memory int64) int64 {
	if memory <= 0 {
		memory = DefaultMemoryLimit
	}
	return memory / 16
}

// shuffleShare is the default ShuffleMemory of a job under memory: half
// its heap budget, less its TempStore's write buffers when it has one
// (TempStoreMemory; they came on top of the budget before).
// A budget of M keeps 7/16 M (M - M/8 over 2) for the shuffle, 3/8 M
// beside a TempStore; a smaller share means more, smaller spill
// partitions, never other bytes.
func shuffleShare(memory int64, store TempStore) int64 {
	share := heapBudget(memory) / 2
	if store != nil {
		share = max(share-TempStoreMemory(memory), share/2)
	}
	return share
}

// unitBudget is the most estimated decoded bytes of one unit under memory
// with workers readers: the window of H/8 (inFlight) shared by the W+1
// units in flight.
func unitBudget(memory int64, workers int) int64 {
	if memory <= 0 {
		return 0
	}
	return max(heapBudget(memory)/int64(8*(workers+1)), minUnitBudget)
}

// recycleBytes is the most bytes of decoded batches a job under memory
// keeps for reuse (batchPool): H/16, half the unit window. One batch per
// worker kept at most W units of H/(8(W+1)) each; counting bytes keeps
// more of the smaller units' batches, so fewer units decode into fresh
// memory. A larger pool (H/8, up to this change) kept more batches but
// held more of the heap live, which cost more in collections and page
// faults than the batches it saved (see the top of this file).
// A job that streams its output row groups (outputMemory) keeps one batch
// per worker: its memory is tight, its finished row groups take what the
// pool would, and the pool bought it little (wide: 82 of 98 units rather
// than 78, for a higher peak). 0 means one batch per worker.
func recycleBytes(memory int64, streams bool) int64 {
	if streams {
		return 0
	}
	return heapBudget(memory) / 16
}

// minUnitBudget is the smallest unit budget: below it the per-unit costs
// (a walk of the row group's page headers, a page reader per column)
// dominate.
const minUnitBudget = 1 << 20

// testUnitBudget, when set by a test, replaces unitBudget, so that small
// inputs are cut into many units.
var testUnitBudget int64

// unitWindowSize is the capacity of the window of units in flight: bytes
// when the memory is known, else W+1 units.
func (e *engine) unitWindowSize() int64 {
	if e.unitsInFlight > 0 {
		return e.unitsInFlight
	}
	return int64(e.workers + 1)
}

// unitWeight is what unit u holds of the unit window: its estimated bytes
// (at least 1, at most the whole window), or 1 when counting units. On
// the row path a unit's rows are copied into arenas whose last chunks
// are partly used, so the estimate there counts that slack too
// (arenaSlack): the arenas of the units in flight stay within the window.
func (e *engine) unitWeight(u unit) int64 {
	if e.unitsInFlight > 0 {
		w := u.bytes
		if _, rows := e.reader.(rowReader); rows && e.order.parts() <= 1 {
			w += arenaSlack(len(e.names), u.bytes)
		}
		return min(max(w, 1), e.unitsInFlight)
	}
	return 1
}

// jobWindowSize is the capacity of the window of row-group jobs in flight.
func (e *engine) jobWindowSize() int64 {
	if e.jobsInFlight > 0 {
		return e.jobsInFlight
	}
	return int64(e.workers + 1)
}

// jobWeight is what a row-group job of rows rows holds of the job window:
// its rows decoded, or when streaming its rows encoded (the pieces given
// to its stream held the window until they were encoded).
func (e *engine) jobWeight(rows int64) int64 {
	if e.streams != nil && e.jobsInFlight > 0 {
		return min(max(rows*e.streams.rowBytes, 1), e.jobsInFlight)
	}
	return e.pieceWeight(rows)
}

// pieceWeight is what rows rows decoded hold of the job window.
func (e *engine) pieceWeight(rows int64) int64 {
	if e.jobsInFlight > 0 {
		return min(max(rows*e.rowBytes, 1), e.jobsInFlight)
	}
	return 1
}

// testHookUnits, when set by a test, is called with the number of units
// of each run once they are cut.
var testHookUnits func(n int)

// minMemory is what a job needs besides its output row groups: the
// runtime, the readers' pages and a unit.
const minMemory = 16 << 20

// sizeText writes n bytes in MiB, KiB below 1 MiB, or bytes below 1 KiB.
func sizeText(n int64) string {
	if n < 1<<10 {
		return fmt.Sprintf("%d bytes", n)
	}
	if n < 1<<20 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d MiB", n>>20)
}

// inFlight is the bytes of units, and of row-group jobs, a job under
// memory holds in flight: a sixth of the heap budget each, or an eighth
// when the job streams its output row groups (see the top of this file).
// Up to 0.6.0 the columnar path's windows were a quarter, which kept the
// live heap near 0.8 H. An eighth everywhere cost the held shapes their
// overlap of reading and encoding (mixed 2.14 s against 1.94-2.04 s at a
// sixth, many 2.2 against 1.96 s, one row group per round, idle machine),
// while the streaming wide shape is faster at an eighth (4.5-4.9 s
// against 5.0-5.6 s), its finished row groups taking the rest.
func inFlight(memory int64, streaming bool) int64 {
	if streaming {
		return heapBudget(memory) / 8
	}
	return heapBudget(memory) / 6
}

// newStreams returns what streams a job's output row groups when they do
// not fit memory held (see outputMemory), or nil.
func newStreams(memory int64, o outputShape, enc sinks.Encoder, checked bool) *rowGroupStreams {
	if testHookRuns != nil {
		testHookRuns()
	}
	se, ok := enc.(sinks.StreamEncoder)
	if stream, _ := outputMemory(memory, o); !stream && !testStreams || !ok {
		return nil
	}
	if testHookStreams != nil {
		testHookStreams()
	}
	return &rowGroupStreams{enc: se, checked: checked, rowBytes: max(o.encodedBytes, 1), blocks: sinks.NewBlockPool(spoolBudget(memory, o))}
}

// testHookStreams, when set by a test, is called by every run that
// streams its row groups.
var testHookStreams func()

// testStreams, when set by a test, streams every job's row groups.
var testStreams bool

// encodedRowBytes estimates the mean encoded bytes of an output row: the
// inputs' bytes per row (compressed Parquet pages, or text), at least 1.
func (p *plan) encodedRowBytes() int64 {
	if p.rows == 0 {
		return 0
	}
	var size int64
	for _, in := range p.inputs {
		size += in.Size()
	}
	return max(size/p.rows, 1)
}

// pageBytes is the uncompressed size of an output page under opts.
func pageBytes(opts sinks.ParquetOptions) int64 {
	if opts.PageBufferSize > 0 {
		return int64(opts.PageBufferSize)
	}
	return sinks.DefaultPageBufferSize
}

// shardBudget is how a shard of a sharded run holds its rows under its
// budget (see RunShard).
type shardBudget struct {
	limit    int64
	rowBytes int64
	streams  *rowGroupStreams
}

// shardMemory sizes a shard's run as run sizes a split: the budget
// (MemoryLimit, or the default raised to what the output row groups
// need), reported to OnBudget, and a refusal when they cannot fit.
func shardMemory(cfg ShardConfig, inputs []sources.FileSource, schema *parquet.Schema, enc sinks.Encoder, batches bool, opts ManifestOptions, rows int64, splits int) (shardBudget, error) {
	b := shardBudget{limit: cfg.MemoryLimit}
	if b.limit < 0 {
		return b, fmt.Errorf("%w: memory limit must be positive, got %d", ErrUsage, b.limit)
	}
	var values, size, inRows int64
	for _, in := range inputs {
		if in == nil {
			continue
		}
		inRows += in.NumRows()
		size += in.Size()
		values += inputValueBytes(in)
	}
	if inRows > 0 {
		b.rowBytes = values/inRows + unitRowBytes(int64(len(schema.Columns())), batches, false)
	}
	if opts.IndexOnly {
		b.rowBytes = valueBytes + rowHeaderBytes
	}
	_, canStream := enc.(sinks.StreamEncoder)
	shape := outputShape{rowBytes: b.rowBytes, rowGroupRows: opts.RowGroupRows, rows: rows, outputs: splits, workers: cfg.Workers,
		rowPath: !batches, canStream: canStream && !opts.IndexOnly, leaves: len(schema.Columns()), byteArrays: byteArrayLeaves(schema), pageBytes: pageBytes(opts.Parquet),
		reencoder: sinks.ReencoderBytes(enc, batches), noReadBack: !sinks.StreamReadsBack(enc, batches)}
	if inRows > 0 {
		shape.encodedBytes = max(size/inRows, 1)
	}
	if b.limit == 0 {
		b.limit = DefaultMemoryLimit
		if _, need := outputMemory(b.limit, shape); need > b.limit {
			b.limit = need
		}
	}
	if err := checkMemory(b.limit, shape); err != nil {
		return b, err
	}
	if cfg.OnBudget != nil {
		cfg.OnBudget(b.limit)
	}
	b.streams = newStreams(b.limit, shape, enc, true)
	if b.streams != nil && !opts.IndexOnly {
		b.streams.checked = allParquet(inputs)
	}
	return b, nil
}

// checkGroupMemory refuses a shard's row group file, of the size its
// shard recorded, that a merge under memory cannot hold: the file is read
// whole, and half the budget is left for the file being written and the
// runtime.
func checkGroupMemory(path string, rec FileInfo, memory int64) error {
	if memory <= 0 {
		memory = DefaultMemoryLimit
	}
	if rec.Bytes > heapBudget(memory)/2 {
		return fmt.Errorf("%w: %s: a row group of %d MiB is larger than half of --memory %s (less its reserve): use --memory %d MiB or more",
			ErrTooLarge, path, rec.Bytes>>20, sizeText(memory), memoryFor(2*rec.Bytes)>>20+1)
	}
	return nil
}

// checkUnits refuses, before any work, a unit estimated above half of
// memory decoded: one that could not be cut (an Arrow record batch, a
// Parquet row group with repeated fields, a single long text record) is
// read whole, so it alone would hold more than the budget allows beside
// the output row groups; and a unit of a row group whose decoded
// dictionaries, which every unit of it holds whatever its rows
// (cutUnits), take it there. The error names the file, the unit (or the
// row group's dictionaries) and the --memory that would do.
func checkUnits(inputs []sources.Source, units []unit, memory int64) error {
	if memory <= 0 {
		return nil
	}
	half := heapBudget(memory) / 2
	for _, u := range units {
		if u.bytes <= half {
			continue
		}
		in := inputs[u.input]
		if dict := dictionaryBytes(in, u); dict > 0 && u.bytes-dict <= half {
			return fmt.Errorf("%w: %s: row group %d's dictionaries take about %s decoded, and every unit of the row group holds them: with its rows, more than half of --memory %s (less its reserve): use --memory %d MiB or more",
				ErrTooLarge, in.Name(), u.rg, sizeText(dict), sizeText(memory), memoryFor(2*u.bytes)>>20+1)
		}
		what := fmt.Sprintf("unit %d", u.rg)
		switch in.(type) {
		case *sources.Parquet:
			what = fmt.Sprintf("row group %d", u.rg)
		case *sources.Arrow:
			what = fmt.Sprintf("record batch %d", u.rg)
		case *sources.CSV, *sources.JSONL:
			what = fmt.Sprintf("records %d to %d", u.start+1, u.start+u.rows)
		}
		return fmt.Errorf("%w: %s: %s takes about %s decoded and is read whole, more than half of --memory %s (less its reserve): use --memory %d MiB or more",
			ErrTooLarge, in.Name(), what, sizeText(u.bytes), sizeText(memory), memoryFor(2*u.bytes)>>20+1)
	}
	return nil
}

// searchMemory is the memory budget of the radix select of a job's
// boundaries (--stratify, --order-by COL, --group with --ratio-by rows)
// under memory, beside held bytes of per-row state and class table: half
// of what they leave of the heap budget, the other half being the
// collector's headroom; 0 (no bound) without a budget, and 1 byte, which
// the search refuses, when nothing is left. Nothing else is held then: no
// unit has been read.
func searchMemory(memory, held int64) int64 {
	if memory <= 0 {
		return 0
	}
	return max((heapBudget(memory)-held)/2, 1)
}

// tableBytes is what a row table holds in memory: its values, or the
// buffers of a batch read back from its file.
func tableBytes[T uint32 | uint64](t *rowTable[T]) int64 {
	if t.mem != nil {
		return t.n * t.width()
	}
	return 2 << 16 * t.width()
}

// searchError adds to err, a search's refusal of a budget too small for
// it (splitter.ErrTooLarge), the --memory that would do: what leaves the
// search its least need over classes classes and targets ranks beside
// held bytes. Other errors are returned as they are.
func searchError(err error, what string, memory, held int64, classes, targets int) error {
	if !errors.Is(err, splitter.ErrTooLarge) {
		return err
	}
	need := memoryFor(held+2*splitter.MinSearchMemory(classes, targets))>>20 + 1
	return fmt.Errorf("%w: %s: the search for its boundaries does not fit beside its per-row state under --memory %s (%w): use --memory %d MiB or more",
		ErrTooLarge, what, sizeText(memory), err, need)
}
