package pipeline

import "fmt"

// The memory budget. JobOptions.MemoryLimit (the CLI's --memory) bounds the
// whole job, and everything the engine holds is sized from it:
//
//   - units: a row group estimated above unitBudget bytes decoded is read
//     in units of rows below it (engine_units.go);
//   - units in flight between the readers and the dispatcher: at most
//     memory/4 bytes of estimated decoded rows on the columnar path,
//     memory/8 on the row path (at least one unit);
//   - row-group jobs in flight between the dispatcher and the writer: as
//     many bytes of estimated decoded rows (at least one job). The row
//     path's encoders copy a row group's values into the Parquet
//     writer's buffers, hence its smaller windows;
//   - a shuffle holds or spills by ShuffleMemory, memory/2 by default, and
//     the per-row state of --stratify and --ratio-by rows stays in memory
//     up to it.
//
// The rest, about a quarter, is for the encoders' buffers, the decoders'
// pages and the runtime. Estimates come from the footers, so these are
// targets, not guarantees: the process's peak is measured by
// benchmarks/memory.sh.

// unitBudget is the most estimated decoded bytes of one unit under memory
// with workers readers: memory/4 shared by the W+1 units in flight, and
// halved, since recycled and shared units' batches outlive their window.
func unitBudget(memory int64, workers int) int64 {
	if memory <= 0 {
		return 0
	}
	return max(memory/int64(8*(workers+1)), minUnitBudget)
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
// (at least 1, at most the whole window), or 1 when counting units.
func (e *engine) unitWeight(u unit) int64 {
	if e.unitsInFlight > 0 {
		return min(max(u.bytes, 1), e.unitsInFlight)
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

// jobWeight is what a row-group job of rows rows holds of the job window.
func (e *engine) jobWeight(rows int64) int64 {
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

// checkMemory refuses, before any work, a job whose output row groups
// cannot be held under memory. An output row group is encoded once all
// its rows are there, so each of the job's outputs may hold one pending
// (of rowGroupRows rows of rowBytes bytes decoded, or all the job's rows
// if fewer), and one more is being encoded (two on the row path, whose
// encoders copy the rows into the Parquet writer's buffers); with
// minMemory for the rest, they must fit in what the windows of units and
// jobs in flight leave: half of memory on the columnar path, three
// quarters on the row path (see inFlight). Measured on 2M rows of 20
// strings (about 460 bytes a row, 58 MiB an output row group): a split
// under --memory 256MiB, which the windows alone leave too little, peaked
// at 389 MiB. The error says which --memory would do.
func checkMemory(memory, rowBytes, rowGroupRows, rows int64, outputs int, rowPath bool) error {
	need := memoryNeed(rowBytes, rowGroupRows, rows, outputs, rowPath)
	if memory <= 0 || need <= memory {
		return nil
	}
	group := min(rowGroupRows, rows)
	return fmt.Errorf("%w: --memory %s cannot hold %d output row groups of %d rows (about %d bytes a row decoded; one pending per output, one being encoded) beside the rows in flight: use --memory %d MiB or more, or fewer --row-group-rows",
		ErrTooLarge, sizeText(memory), outputGroups(outputs, rowPath), group, rowBytes, need>>20+1)
}

// outputGroups is the number of output row groups a job of outputs
// outputs holds at most (see checkMemory).
func outputGroups(outputs int, rowPath bool) int64 {
	if rowPath {
		return int64(outputs) + 2
	}
	return int64(outputs) + 1
}

// memoryNeed is the least memory that holds a job's output row groups
// beside the windows of rows in flight (see checkMemory), or 0 when
// nothing is known.
func memoryNeed(rowBytes, rowGroupRows, rows int64, outputs int, rowPath bool) int64 {
	group := min(rowGroupRows, rows)
	if group <= 0 || rowBytes <= 0 {
		return 0
	}
	groups := outputGroups(outputs, rowPath)
	if group >= (1<<56)/rowBytes/groups {
		return 1 << 62
	}
	need := minMemory + groups*group*rowBytes
	if rowPath {
		return need * 4 / 3
	}
	return need * 2
}

// sizeText writes n bytes in MiB, or KiB below 1 MiB.
func sizeText(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d MiB", n>>20)
}

// inFlight is the bytes of units, and of row-group jobs, a job under
// memory holds in flight (see the top of this file).
func inFlight(memory int64, batches bool) int64 {
	if batches {
		return memory / 4
	}
	return memory / 8
}
