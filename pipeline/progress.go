package pipeline

import (
	"context"
	"sync"
)

// Progress receives the progress of a job, for a progress bar or a log: a
// sequence of phases, each announced by Phase and advanced by Add. A phase
// ends when the next one begins or when the job returns. Add may be called
// from several goroutines at once, so an implementation must be safe for
// concurrent use; calls must return quickly. Progress never influences the
// output.
type Progress interface {
	// Phase announces a new phase of the job, one of the Phase* names,
	// and the rows it will handle (0 when unknown: the phase is shown as
	// a spinner, with its elapsed time and the bytes reported so far).
	Phase(name string, rows int64)
	// Add reports rows done in the current phase since the last call.
	Add(rows int64)
}

// ByteProgress is a Progress that also counts bytes: a job reports through
// AddBytes the bytes a phase spills or writes, when its Progress has the
// method.
type ByteProgress interface {
	Progress
	// AddBytes reports bytes handled in the current phase since the last
	// call: spilled to temporary files, held for ordering, or written.
	AddBytes(n int64)
}

// The phases of a job, in the order they may come. A job goes through some
// of them: a split through plan, count (a CSV or JSON Lines input), classes
// (--stratify) or groups (--group with --ratio-by rows), boundaries (exact
// splits), then split, or for a shuffle plan, read (or spill), order and
// write, and last commit.
const (
	PhasePlan        = "plan"        // opening the inputs: footers, schemas
	PhaseCount       = "count"       // counting a sharded plan's rows per split
	PhaseClasses     = "classes"     // reading the --stratify column
	PhaseGroups      = "groups"      // reading the --group column
	PhaseBoundaries  = "boundaries"  // drawing the keys that fix the splits' sizes
	PhasePermutation = "permutation" // a --compat mode's permutation
	PhaseSplit       = "split"       // reading and writing at once; rows written
	PhaseRead        = "read"        // a shuffle reading its rows into memory
	PhaseSpill       = "spill"       // a shuffle reading its rows into temporary files
	PhaseOrder       = "order"       // a shuffle sorting its rows (the first split, or spilled partition)
	PhaseWrite       = "write"       // a shuffle writing its ordered rows; rows written
	PhaseShard       = "shard"       // a shard reading and writing its rows; rows read
	PhaseMerge       = "merge"       // merging the shards' row groups
	PhaseCommit      = "commit"      // the manifest, then the output made visible at once

	PhaseHash = "hash" // verify re-hashing the files; rows of the files done
	PhaseRows = "rows" // verify --input placing every input row again
)

// addBytes reports n bytes to p, if p counts bytes.
func addBytes(p Progress, n int64) {
	if bp, ok := p.(ByteProgress); ok {
		bp.AddBytes(n)
	}
}

// noProgress is the Progress of a job that reports none.
type noProgress struct{}

func (noProgress) Phase(string, int64) {}
func (noProgress) Add(int64)           {}

// engineProgress turns what the engine's stages see into phases. A
// streaming job is one phase, split, counted in rows written (the last
// stage: the bar is full when the rows are on disk, not when they are
// read). A shuffle is read (or spill), counted in rows read, while no row
// is written; then order, from the last row read until the first ordered
// rows go to the writer; then write, counted in rows written. A shard
// (windows set) is one phase counted in rows read. A nil *engineProgress
// reports nothing.
type engineProgress struct {
	p        Progress
	mu       sync.Mutex // phase and countOut, set by the dispatcher, read by the writer
	phase    string
	out      int64 // rows the engine writes
	countOut bool  // rows written advance the phase, not rows read
	spill    int64 // bytes spilled
}

// newEngineProgress returns the progress of an engine that reads rows rows
// and writes out rows (out < 0: unknown, the rows read are counted); shuffle
// and spill say how the engine orders them. It announces the first phase.
func newEngineProgress(p Progress, rows, out int64, shuffle, spill bool) *engineProgress {
	if p == nil {
		p = noProgress{}
	}
	ep := &engineProgress{p: p, out: out}
	switch {
	case shuffle && spill:
		ep.start(PhaseSpill, rows, false)
	case shuffle:
		ep.start(PhaseRead, rows, false)
	case out >= 0:
		ep.start(PhaseSplit, out, true)
	default:
		ep.start(PhaseShard, rows, false)
	}
	return ep
}

// start announces phase, of rows rows, advanced by rows written if
// countOut, else by rows read.
func (ep *engineProgress) start(phase string, rows int64, countOut bool) {
	ep.mu.Lock()
	ep.phase, ep.countOut = phase, countOut
	ep.mu.Unlock()
	ep.p.Phase(phase, rows)
}

// read reports the rows of a unit the dispatcher took, in unit order.
func (ep *engineProgress) read(rows int64) {
	if ep == nil {
		return
	}
	ep.mu.Lock()
	count := !ep.countOut
	ep.mu.Unlock()
	if count {
		ep.p.Add(rows)
	}
}

// spilled reports bytes a shuffle wrote to its temporary files.
func (ep *engineProgress) spilled(bytes int64) {
	if ep != nil {
		ep.spill += bytes // the dispatcher's alone
		addBytes(ep.p, bytes)
	}
}

// ordering reports that a shuffle read its last row and sorts what it
// holds: held bytes of rows in memory, or the rows it spilled.
func (ep *engineProgress) ordering(held int64) {
	if ep == nil || (ep.phase != PhaseRead && ep.phase != PhaseSpill) {
		return
	}
	ep.start(PhaseOrder, 0, false)
	addBytes(ep.p, held+ep.spill)
}

// writing reports that a shuffle's first ordered rows go to the writer;
// later calls do nothing.
func (ep *engineProgress) writing() {
	if ep == nil || ep.phase != PhaseOrder {
		return
	}
	ep.start(PhaseWrite, max(ep.out, 0), true)
}

// written reports rows and bytes the writer appended to the output.
func (ep *engineProgress) written(rows, bytes int64) {
	if ep == nil {
		return
	}
	ep.mu.Lock()
	count := ep.countOut
	ep.mu.Unlock()
	if count {
		ep.p.Add(rows)
		addBytes(ep.p, bytes)
	}
}

// VerifyWithProgress is [VerifyWithInputs] reporting its phases to p: hash,
// advanced by the rows (and bytes) of each file checked, then, with inputs,
// rows.
func VerifyWithProgress(ctx context.Context, dir string, inputs []string, p Progress) (*VerifyReport, error) {
	if p == nil {
		p = noProgress{}
	}
	return verifyWith(ctx, outputFiles{dir: dir}, inputs, nil, DefaultMemoryLimit, p)
}

// listedRows is the rows of the files m lists.
func listedRows(m *Manifest) int64 {
	var n int64
	for _, s := range m.Splits {
		for _, f := range s.Files {
			n += f.Rows
		}
	}
	return n
}
