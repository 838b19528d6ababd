package pipeline

import (
	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// Observer sees every row group a job writes as it is encoded, so that
// what [JobOptions.Attach] writes about the rows (a report) is computed as
// they stream past rather than read back from the files.
//
// Its methods may be called from several goroutines at once; the engine
// calls RowGroup on its encoding goroutines and the function it returns
// on its writing goroutine, in each split's row-group order, so an
// observer that merges there sees every split's rows in file order.
type Observer interface {
	// Start is called once the job is planned, before any row is read.
	Start(info ObserveInfo) error
	// RowGroup is called with the rows of row group seq (0, 1, ... in
	// the split's output order) of output split, before they are
	// encoded; the rows are borrowed for the call and must not be
	// changed. The function it returns, if not nil, is called once the
	// row group is appended to its file: with the file's path in the
	// output (slash-separated) and the row group's first row in it.
	RowGroup(split, seq int, rows RowGroupRows) (written func(file string, firstRow int64) error, err error)
}

// ObserveInfo describes the job an [Observer] watches.
type ObserveInfo struct {
	// Schema is the output's schema; Splits the outputs' names, in the
	// order RowGroup numbers them; Format the output format.
	Schema *parquet.Schema
	Splits []string
	Format string
	// Rows bounds the rows the job writes, all splits together.
	Rows int64
	// Complete is false when some row groups are encoded as their rows
	// arrive (a budget too small to hold a row group's rows), and are
	// not passed to RowGroup: the observer must then read the output.
	Complete bool
}

// RowGroupRows is the rows of one output row group, in order: Batches on
// the columnar path, else Rows.
type RowGroupRows struct {
	Rows [][]parquet.Row
	// Batches are columnar.Rows: a batch, or rows picked out of batches.
	Batches []columnar.Rows
}

// observe passes j's rows to the job's observer, before they are encoded.
func (e *engine) observe(j *rowGroupJob) (func(string, int64) error, error) {
	if e.observer == nil || j.rows == 0 || j.stream != nil {
		return nil, nil
	}
	var rows RowGroupRows
	for _, seg := range j.segs {
		if seg.batch != nil {
			rows.Batches = append(rows.Batches, seg.batch)
		} else {
			rows.Rows = append(rows.Rows, seg.rows)
		}
	}
	return e.observer.RowGroup(j.split, j.seq, rows)
}
