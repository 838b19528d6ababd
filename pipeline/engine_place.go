package pipeline

import (
	"github.com/parquet-go/parquet-go"
)

// The placer stage: where each row goes. An assigner says which split a row
// belongs to (from its key, its group's key, its class, a compatibility
// mode's permutation or a bootstrap's draws); the placer then says which
// outputs receive it (kfold --materialize fans a fold out to its test and
// every other fold's train) and how many times (a bootstrap's draws).

// placer is the first stage of the engine: which outputs receive each row,
// and how many copies of it.
type placer struct {
	assign  rowAssigner       // which split each row belongs to
	repeat  func(i int64) int // copies of row i; nil: one
	fanout  [][]int           // outputs of an assigned id; nil: id s is output s
	outputs int               // number of outputs
}

// rowAssigner assigns a batch of rows to splits: it sets ids[k], the split
// of row start+k, or an id past the last split for a row in none; it may
// replace keys[k], the row's key, which orders it within its split (a
// compatibility mode's order). rows are the rows themselves on the row
// path, nil on the columnar path. Its implementation: placeFunc (an
// assigner of row keys; a grouped, stratified, compatibility or bootstrap
// placer).
type rowAssigner interface {
	assignRows(rows []parquet.Row, keys []uint64, start int64, ids []uint8) error
}

// placeFunc assigns a batch of rows in place of an assigner: it sets ids[k]
// (and may set keys[k], the order within the split) for row start+k.
type placeFunc func(keys []uint64, start int64, ids []uint8) error

func (f placeFunc) assignRows(_ []parquet.Row, keys []uint64, start int64, ids []uint8) error {
	return f(keys, start, ids)
}

// keyAssigner assigns rows to splits by their keys: an exact or approximate
// assigner of row keys, or a threshold assigner of group keys.
type keyAssigner interface {
	Assign(keys []uint64, start int64, out []uint8)
}

// assignPlace is the placeFunc of an assigner: it leaves keys alone.
func assignPlace(a keyAssigner) placeFunc {
	return func(keys []uint64, start int64, ids []uint8) error {
		a.Assign(keys, start, ids)
		return nil
	}
}

// outputs returns the outputs that receive a row of assigned id id: none
// for a row in no split. one is scratch space for the common case.
func (p *placer) targets(id int, one []int) []int {
	return outputsOf(p.fanout, p.outputs, id, one)
}

// copies returns how many times row i is written to each of its outputs.
func (p *placer) copies(i int64) int {
	if p.repeat == nil {
		return 1
	}
	return p.repeat(i)
}

// outputsOf returns the outputs, among nout, that receive a row of assigned
// id id, given a job's fanout (nil: id s is output s).
func outputsOf(fanout [][]int, nout, id int, one []int) []int {
	if fanout != nil {
		if id < len(fanout) {
			return fanout[id]
		}
		return nil
	}
	if id >= nout {
		return nil
	}
	one[0] = id
	return one[:1]
}
