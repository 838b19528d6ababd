package report

import (
	"context"
	"encoding/binary"
	"math"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/sources"
)

// The row path of a scan: rows given as parquet.Rows (files other than
// Parquet, and row groups a job hands over as rows), one value at a time;
// scan_batch.go is the columnar path, which gives the same figures.

// rowScan holds the buffers of one goroutine's scans.
type rowScan struct {
	buf, gbuf, lbuf []byte
	gvals           []parquet.Value // a row's group values, in the order of scanner.groups
	// A chunk of a batch (scanBatch): its columns, the finite numbers of
	// one, and the ends and write positions of its rows' canonical bytes
	// in buf.
	chunks   []columnar.Chunk
	ends, at []int
	// nums holds per column the finite numbers of a chunk, and numCols
	// the number columns that have them.
	nums    [][]float64
	numCols []int
	// vh holds per column the value hashes of a chunk of bytes, and
	// vhOK whether they are the current chunk's.
	vh   [][]uint64
	vhOK []bool
	// hc holds per column of byte arrays the hashes of its recent short
	// values (made at the column's first chunk).
	hc []*hashCache
}

// valueHashes returns the value hashes of the bytes of chunk c
// (chunkHashes), computed once per chunk.
func (rs *rowScan) valueHashes(c int) []uint64 {
	if !rs.vhOK[c] {
		ch := &rs.chunks[c]
		if ch.Width != 0 {
			rs.vh[c] = chunkHashes(rs.vh[c], ch)
		} else {
			if rs.hc[c] == nil {
				rs.hc[c] = new(hashCache)
			}
			rs.vh[c] = chunkHashesCached(rs.vh[c], ch, rs.hc[c])
		}
		rs.vhOK[c] = true
	}
	return rs.vh[c]
}

func newRowScan() *rowScan { return &rowScan{} }

// scanUnit reads unit u of src into a fresh acc, row by row.
func (s *scanner) scanUnit(ctx context.Context, src sources.Source, u int, at place, rs *rowScan, recs *leakBufs) (*acc, error) {
	a := s.newUnitAcc(src.UnitNumRows(u), at, recs)
	row := at.firstRow
	err := src.ReadUnit(ctx, u, 1024, func(rows []parquet.Row) error {
		s.scanRows(rows, a, at, row, rs)
		row += uint64(len(rows))
		return nil
	})
	return a, err
}

// scanRows adds rows, numbered from row in their file, to a.
func (s *scanner) scanRows(rows []parquet.Row, a *acc, at place, row uint64, rs *rowScan) {
	for _, r := range rows {
		a.rows++
		rs.buf = rs.buf[:0]
		rs.gbuf = rs.gbuf[:0]
		if len(s.groups) > 0 {
			rs.gvals = append(rs.gvals[:0], make([]parquet.Value, len(s.groups))...)
		}
		for _, v := range r {
			c := v.Column()
			if at.leak && !s.fastRows {
				rs.buf = appendCanonical(rs.buf, v)
			}
			if at.leak {
				if c < len(s.groupPos) && s.groupPos[c] >= 0 {
					rs.gvals[s.groupPos[c]] = v
				}
			}
			if c == s.label {
				s.addLabel(a, v, rs)
			}
			if c >= len(a.cols) || !s.want[c] {
				continue
			}
			s.addValue(&a.cols[c], c, v)
		}
		if at.leak {
			if len(s.groups) > 0 {
				rs.gbuf = s.appendGroup(rs.gbuf, rs.gvals)
			}
			if s.fastRows {
				a.hashes = append(a.hashes, rowHash(r))
				s.addGroupRecord(a, at, row, rs.gbuf)
			} else {
				s.addRecord(a, at, row, rs.buf, rs.gbuf)
			}
		}
		row++
	}
}

// rowHash is the fast hash of a row, as addChunkHashes computes it.
func rowHash(r parquet.Row) uint64 {
	h := uint64(rowSeed)
	for _, v := range r {
		h = rowState(h, valueHash(v))
	}
	if testFastRowHash != nil {
		h = testFastRowHash(h)
	}
	return h
}

// addLabel counts a label value.
func (s *scanner) addLabel(a *acc, v parquet.Value, rs *rowScan) {
	if v.IsNull() {
		a.labelNulls++
		return
	}
	rs.lbuf = appendLabel(rs.lbuf[:0], v, s.labelCol)
	a.label.add(rs.lbuf)
}

// addValue adds a value of column c to its accumulator.
func (s *scanner) addValue(ca *colAcc, c int, v parquet.Value) {
	ca.values++
	if v.IsNull() {
		ca.nulls++
		return
	}
	switch s.cols[c].kind {
	case KindNumber, KindTime:
		f, ok := number(v)
		if !ok {
			ca.nans++
			return
		}
		ca.addNumber(f * s.cols[c].scale)
	case KindBool:
		if v.Boolean() {
			ca.cnt.add([]byte{1})
		} else {
			ca.cnt.add([]byte{0})
		}
	default:
		ca.cnt.add(v.ByteArray())
	}
}

// chunkValue returns row k of ch (column c) as a parquet.Value, as
// columnar.Batch.Value makes it.
func chunkValue(ch *columnar.Chunk, c, k int) parquet.Value {
	if ch.Null(k) {
		return parquet.NullValue().Level(0, int(ch.Defs[k]), c)
	}
	var v parquet.Value
	switch ch.Kind {
	case parquet.Boolean:
		v = parquet.BooleanValue(ch.Fixed[k] != 0)
	case parquet.Int32:
		v = parquet.Int32Value(int32(binary.LittleEndian.Uint32(ch.Fixed[4*k:])))
	case parquet.Int64:
		v = parquet.Int64Value(int64(binary.LittleEndian.Uint64(ch.Fixed[8*k:])))
	case parquet.Float:
		v = parquet.FloatValue(math.Float32frombits(binary.LittleEndian.Uint32(ch.Fixed[4*k:])))
	case parquet.Double:
		v = parquet.DoubleValue(math.Float64frombits(binary.LittleEndian.Uint64(ch.Fixed[8*k:])))
	case parquet.FixedLenByteArray:
		v = parquet.FixedLenByteArrayValue(chunkBytes(ch, k))
	case parquet.ByteArray:
		v = parquet.ByteArrayValue(ch.Value(k))
	case parquet.Int96:
		f := ch.Fixed[12*k:]
		v = parquet.Int96Value(deprecated.Int96{
			binary.LittleEndian.Uint32(f), binary.LittleEndian.Uint32(f[4:]), binary.LittleEndian.Uint32(f[8:]),
		})
	}
	return v.Level(0, int(ch.MaxDef), c)
}
