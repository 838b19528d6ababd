package pipeline

import "fmt"

// The memory budget. JobOptions.MemoryLimit (the CLI's --memory) bounds the
// whole job, and everything the engine holds is sized from it:
//
//   - units: a row group estimated above unitBudget bytes decoded is read
//     in units of rows below it (engine_units.go);
//   - units in flight between the readers and the dispatcher: at most
//     memory/4 bytes of estimated decoded rows (at least one unit);
//   - row-group jobs in flight between the dispatcher and the writer: at
//     most memory/4 bytes of estimated decoded rows (at least one job);
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
// cannot be held under memory: two of them (the one being filled and the
// one being encoded), of rowGroupRows rows of rowBytes bytes decoded (at
// most the job's rows), besides minMemory. The error says which --memory
// would do.
func checkMemory(memory, rowBytes, rowGroupRows, rows int64) error {
	if memory <= 0 {
		return nil
	}
	group := min(rowGroupRows, max(rows, 1))
	if group <= 0 || rowBytes <= 0 {
		return nil
	}
	need := int64(1 << 62)
	if group < (1<<60)/rowBytes {
		need = minMemory + 2*group*rowBytes
	}
	if need > memory {
		return fmt.Errorf("%w: --memory %d MiB cannot hold two output row groups of %d rows (about %d bytes each decoded) and the rest: use --memory %d MiB or more, or fewer --row-group-rows",
			ErrTooLarge, memory>>20, group, rowBytes, need>>20+1)
	}
	return nil
}
