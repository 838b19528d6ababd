package sources

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/parquet-go/parquet-go"
)

// shredder turns Arrow rows into parquet.Rows. It is for one goroutine.
type shredder struct {
	cols    [][]parquet.Value // values of the current row, per column
	scratch []byte            // bytes of values built during the batch
	values  []parquet.Value   // values of the batch's rows, row after row
	ends    []int             // end of each row in values
}

// errNullInRequired is the cause of a null found where the schema forbids it.
var errNullInRequired = errors.New("null value in a non-nullable field")

// shredError is a conversion failure in one column.
type shredError struct {
	column string
	err    error
}

func (e *shredError) Error() string { return e.err.Error() }
func (e *shredError) Unwrap() error { return e.err }

// rows converts rows [lo, hi) of the record's columns to parquet.Rows
// appended to dst. The rows alias the shredder's buffers and the record's
// buffers: they are valid until the next call and while the record lives.
func (s *shredder) rows(dst []parquet.Row, nodes []*arrowNode, cols []arrow.Array, numLeaves, lo, hi int) ([]parquet.Row, error) {
	if len(s.cols) < numLeaves {
		s.cols = make([][]parquet.Value, numLeaves)
	}
	s.scratch, s.values, s.ends = s.scratch[:0], s.values[:0], s.ends[:0]
	for i := lo; i < hi; i++ {
		for c := range s.cols {
			s.cols[c] = s.cols[c][:0]
		}
		for f, n := range nodes {
			if err := s.emit(n, cols[f], i, 0, 0, 0); err != nil {
				return dst, err
			}
		}
		for _, c := range s.cols {
			s.values = append(s.values, c...)
		}
		s.ends = append(s.ends, len(s.values))
	}
	start := 0
	for _, end := range s.ends {
		dst = append(dst, s.values[start:end:end])
		start = end
	}
	return dst, nil
}

// emit appends the values of row i of a, the array of node n, to the
// columns; r and d are the repetition and definition levels reached above
// n, rep the repetition level of n's innermost repeated ancestor.
func (s *shredder) emit(n *arrowNode, a arrow.Array, i, r, d, rep int) error {
	null := a.IsNull(i)
	var dict *array.Dictionary
	if n.dict && !null {
		dict = a.(*array.Dictionary)
		a, i = dict.Dictionary(), dict.GetValueIndex(i)
		null = a.IsNull(i)
	}
	if null {
		if !n.nullable {
			return &shredError{column: n.path, err: fmt.Errorf("%w: %w", ErrCorrupt, errNullInRequired)}
		}
		s.nulls(n, r, d)
		return nil
	}
	if n.nullable {
		d++
	}
	switch n.kind {
	case arrowLeaf:
		v, err := n.leaf(a, i, &s.scratch)
		if err != nil {
			return &shredError{column: n.path, err: err}
		}
		s.cols[n.col] = append(s.cols[n.col], v.Level(r, d, n.col))
	case arrowStruct:
		sa := a.(*array.Struct)
		for k, c := range n.children {
			if err := s.emit(c, sa.Field(k), i, r, d, rep); err != nil {
				return err
			}
		}
	case arrowList:
		la := a.(array.ListLike)
		start, end := la.ValueOffsets(i)
		if start == end {
			s.nulls(n, r, d) // defined, with no element
			return nil
		}
		values := la.ListValues()
		if start < 0 || end < start || end > int64(values.Len()) {
			return &shredError{column: n.path, err: fmt.Errorf("%w: list offsets [%d, %d) outside the %d values", ErrCorrupt, start, end, values.Len())}
		}
		elem := n.children[0]
		for k := start; k < end; k++ {
			rk := r
			if k > start {
				rk = rep + 1
			}
			if err := s.emit(elem, values, int(k), rk, d+1, rep+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// nulls appends a null at levels (r, d) to every column of n.
func (s *shredder) nulls(n *arrowNode, r, d int) {
	for c := n.col; c < n.col+n.leaves; c++ {
		s.cols[c] = append(s.cols[c], parquet.NullValue().Level(r, d, c))
	}
}
