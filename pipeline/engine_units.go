package pipeline

import (
	"github.com/splitdata/splitdata/sources"
)

// Units inside row groups. A unit of the plan is a row group, whatever its
// size: one 5M-row row group decoded whole would hold the job's memory to
// how the input was written. Before the engine runs, a row group whose
// decoded rows are estimated above the per-unit budget (unitBudget) is cut
// into units of equal rows below it, each read from the pages holding its
// rows (sources.RangeReader, sources.RangeBatchReader). Keys depend only on
// the global row index and the output is cut by row counts, so units
// change how rows are read, never an output byte.

// unitRowBytes is the memory a decoded row takes beyond its values' bytes:
// per leaf a parquet.Value and a row header on the row path, per leaf an
// offset (and a level) on the columnar path, plus a shuffle's bookkeeping.
func unitRowBytes(leaves int64, batches, shuffle bool) int64 {
	if batches {
		n := leaves * 5
		if shuffle {
			n += batchRowBytes
		}
		return n
	}
	return leaves*valueBytes + rowHeaderBytes
}

// rowGroupSizer is implemented by inputs that estimate a unit's decoded
// values from their footers (sources.Parquet).
type rowGroupSizer interface {
	RowGroupDecodedBytes(i int) int64
}

// unitBytes estimates the memory of unit u decoded: its share of its row
// group's values, plus rowBytes per row. Inputs that give no estimate
// count their size in proportion to the unit's rows.
func unitBytes(in sources.Source, u unit, rgRows, rowBytes int64) int64 {
	var values int64
	switch s := in.(type) {
	case rowGroupSizer:
		values = s.RowGroupDecodedBytes(u.rg)
	case sources.FileSource:
		if n := s.NumRows(); n > 0 {
			values = int64(float64(s.Size()) * float64(rgRows) / float64(n))
		}
	}
	if rgRows > 0 && u.rows < rgRows {
		values = int64(float64(values) * float64(u.rows) / float64(rgRows))
	}
	return values + u.rows*rowBytes
}

// cutUnits returns units with every row group estimated above budget bytes
// decoded cut into units of equal rows (the first ones one row longer)
// below it, renumbered in order, each with its estimated bytes set. Only
// inputs that read ranges of the kind the job reads (batches or rows) of a
// schema without repeated fields are cut; a budget <= 0 cuts nothing.
func cutUnits(inputs []sources.Source, units []unit, budget int64, batches, shuffle bool) []unit {
	out := make([]unit, 0, len(units))
	for _, u := range units {
		in := inputs[u.input]
		leaves := int64(len(in.Schema().Columns()))
		rowBytes := unitRowBytes(leaves, batches, shuffle)
		u.bytes = unitBytes(in, u, u.rows, rowBytes)
		parts := int64(1)
		if budget > 0 && u.bytes > budget && canReadRanges(in, batches) {
			parts = min((u.bytes+budget-1)/budget, u.rows)
		}
		if parts <= 1 {
			u.seq = len(out)
			out = append(out, u)
			continue
		}
		size, extra := u.rows/parts, u.rows%parts
		first := u.first
		for k := range parts {
			n := size
			if k < extra {
				n++
			}
			v := unit{seq: len(out), input: u.input, rg: u.rg, start: u.start + (first - u.first), first: first, rows: n}
			v.bytes = unitBytes(in, v, u.rows, rowBytes)
			out = append(out, v)
			first += n
		}
	}
	return out
}

// canReadRanges reports whether in reads parts of its units on the job's
// path: batches, or rows of a schema without repeated fields.
func canReadRanges(in sources.Source, batches bool) bool {
	br, ok := in.(sources.BatchReader)
	if !ok {
		return false
	}
	if _, err := br.Layout(); err != nil {
		return false // repeated fields: pages need not start rows
	}
	if batches {
		_, ok = in.(sources.RangeBatchReader)
		return ok
	}
	_, ok = in.(sources.RangeReader)
	return ok
}
