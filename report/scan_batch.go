package report

import (
	"math"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// batchChunk is how many rows of a batch are turned into values at a
// time.
const batchChunk = 1024

// scanBatch adds the rows of r (a batch, or rows picked out of batches),
// numbered from at.firstRow in their file, to a. It takes each column's
// values in row order, so every accumulator sees what scanRows gives it
// for the same rows read one by one, and the figures are the same.
func (s *scanner) scanBatch(r columnar.Rows, a *acc, at place, rs *rowScan) {
	ncols := len(s.cols)
	if len(rs.vals) != ncols {
		rs.vals = make([][]parquet.Value, ncols)
	}
	n := r.NumRows()
	row := at.firstRow
	for lo := 0; lo < n; lo += batchChunk {
		hi := min(lo+batchChunk, n)
		for c := range ncols {
			rs.vals[c] = r.AppendValues(rs.vals[c][:0], c, lo, hi)
		}
		a.rows += int64(hi - lo)
		for c := range ncols {
			if !s.want[c] {
				continue
			}
			s.addValues(&a.cols[c], c, rs.vals[c])
		}
		if s.label >= 0 {
			for _, v := range rs.vals[s.label] {
				s.addLabel(a, v, rs)
			}
		}
		if !at.leak {
			continue
		}
		for k := range hi - lo {
			rs.buf = rs.buf[:0]
			for c := range ncols {
				rs.buf = appendCanonical(rs.buf, rs.vals[c][k])
			}
			rs.gbuf = rs.gbuf[:0]
			if len(s.groups) > 0 {
				rs.gvals = rs.gvals[:0]
				for _, c := range s.groups {
					rs.gvals = append(rs.gvals, rs.vals[c][k])
				}
				rs.gbuf = s.appendGroup(rs.gbuf, rs.gvals)
			}
			s.addRecords(a, at, row, rs)
			row++
		}
	}
}

// addValues adds values of column c, all of the column's physical kind,
// to ca as addValue adds them one by one, a loop per kind of number.
func (s *scanner) addValues(ca *colAcc, c int, vals []parquet.Value) {
	col := &s.cols[c]
	if col.kind != KindNumber && col.kind != KindTime {
		for _, v := range vals {
			s.addValue(ca, c, v)
		}
		return
	}
	ca.values += int64(len(vals))
	switch col.pkind {
	case parquet.Int64:
		for _, v := range vals {
			if v.IsNull() {
				ca.nulls++
				continue
			}
			ca.addNumber(float64(v.Int64()) * col.scale)
		}
	case parquet.Int32:
		for _, v := range vals {
			if v.IsNull() {
				ca.nulls++
				continue
			}
			ca.addNumber(float64(v.Int32()) * col.scale)
		}
	case parquet.Double:
		for _, v := range vals {
			if v.IsNull() {
				ca.nulls++
				continue
			}
			f := v.Double()
			if math.IsNaN(f) || math.IsInf(f, 0) {
				ca.nans++
				continue
			}
			ca.addNumber(f * col.scale)
		}
	default:
		ca.values -= int64(len(vals))
		for _, v := range vals {
			s.addValue(ca, c, v)
		}
	}
}
