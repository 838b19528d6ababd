package pipeline

import (
	"slices"

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
// per unit count their values (inputValueBytes) in proportion to the
// unit's rows.
func unitBytes(in sources.Source, u unit, rgRows, rowBytes int64) int64 {
	var values int64
	switch s := in.(type) {
	case rowGroupSizer:
		values = s.RowGroupDecodedBytes(u.rg)
	case sources.FileSource:
		if n := s.NumRows(); n > 0 {
			values = int64(float64(inputValueBytes(s)) * float64(rgRows) / float64(n))
		}
	}
	if rgRows > 0 && u.rows < rgRows {
		values = int64(float64(values) * float64(u.rows) / float64(rgRows))
	}
	return values + u.rows*rowBytes
}

// dictionarySizer is implemented by inputs that estimate the decoded
// dictionaries of a unit's row group, which every unit of it holds
// (sources.Parquet).
type dictionarySizer interface {
	RowGroupDictionaryBytes(i int) int64
}

// dictionarySharer is implemented by inputs whose units of a row group
// decode its dictionaries once and share them, once told how many units
// read it (sources.Parquet).
type dictionarySharer interface {
	ShareDictionaries(rg, ranges int)
}

// dictionaryBytes returns the estimated decoded dictionaries of unit u's
// row group in in, 0 when in gives no estimate.
func dictionaryBytes(in sources.Source, u unit) int64 {
	if d, ok := in.(dictionarySizer); ok {
		return max(d.RowGroupDictionaryBytes(u.rg), 0)
	}
	return 0
}

// pageStarter is implemented by inputs that tell where the pages of a row
// group's costliest column start (sources.Parquet).
type pageStarter interface {
	PageStarts(rg int) ([]int64, error)
}

// cutUnits returns units with every row group estimated above budget bytes
// decoded cut into units of about equal rows below it, renumbered in
// order, each with its estimated bytes set. Only inputs that read ranges
// of the kind the job reads (batches or rows) of a schema without repeated
// fields are cut; a budget <= 0 cuts nothing.
//
// Where the input tells where the pages of the row group's costliest
// column start (pageStarter), each cut moves to the page start nearest to
// it: pages of different columns do not align, so a unit decodes the
// pages at its edges of every column and drops the rows outside it, and a
// cut on the costliest column's page boundary makes that column's edge
// pages whole; the other columns' edge pages, smaller, are decoded by both
// units they straddle. A cut moves by at most an eighth of a unit's rows
// (else it stays), so a unit holds at most 5/4 of its equal share; the
// windows of units in flight weigh each unit by its own estimate.
//
// A row group within two budgets is cut in two only on a page start of
// its costliest column, else read whole, as one unit of up to two
// budgets: a cut inside a page has both units decompress and decode that
// page, and in files written with one page per column chunk (DuckDB's
// and Polars', whose row groups of 122,880 and 272,727 rows came just
// above the default budget) every column's only page, which cost more
// CPU (7-9% of benchmarks/peers.sh's mixed split) than the
// larger unit costs in memory; its estimate holds it in the window of
// units in flight. Larger row groups are cut as above, whatever their
// pages, so a unit's memory stays bounded by the budget however the
// input was written (a 5M-row page is decoded by each of its units).
//
// Each unit's estimate also counts its row group's decoded dictionaries
// (dictionarySizer), whole: a unit holds them all, whatever its rows, so
// they are left out of the cut (more units would not make them smaller)
// and checkUnits refuses a row group whose dictionaries alone break the
// budget. On the columnar path, the units of a cut row group share its
// dictionaries (dictionarySharer, told here how many units read it): the
// first unit to need a dictionary decodes it for all, which changes no
// byte of any batch.
func cutUnits(inputs []sources.Source, units []unit, budget int64, batches, shuffle bool) []unit {
	out := make([]unit, 0, len(units))
	for _, u := range units {
		in := inputs[u.input]
		leaves := int64(len(in.Schema().Columns()))
		rowBytes := unitRowBytes(leaves, batches, shuffle)
		u.bytes = unitBytes(in, u, u.rows, rowBytes)
		dict := int64(0)
		if budget > 0 {
			dict = dictionaryBytes(in, u)
		}
		parts := int64(1)
		if budget > 0 && u.bytes > budget && canReadRanges(in, batches) && readsRanges(in, u.rg) {
			parts = min((u.bytes+budget-1)/budget, u.rows)
		}
		if parts <= 1 {
			u.seq = len(out)
			u.bytes += dict
			out = append(out, u)
			continue
		}
		var starts []int64
		if ps, ok := in.(pageStarter); ok {
			// An input whose pages cannot be read is cut evenly; its
			// read reports what is wrong.
			starts, _ = ps.PageStarts(u.rg)
		}
		first := u.first
		ends := cuts(starts, u.first, u.rows, parts)
		if parts == 2 && len(starts) > 0 && !slices.Contains(starts, ends[0]) {
			// Within two budgets, and no page start of the costliest
			// column near its middle: read whole (see above).
			u.seq = len(out)
			u.bytes += dict
			out = append(out, u)
			continue
		}
		for _, end := range ends {
			v := unit{seq: len(out), input: u.input, rg: u.rg, start: u.start + (first - u.first), first: first, rows: end - first}
			v.bytes = unitBytes(in, v, u.rows, rowBytes) + dict
			out = append(out, v)
			first = end
		}
		if ds, ok := in.(dictionarySharer); ok && batches && dict > 0 && len(ends) > 1 {
			ds.ShareDictionaries(u.rg, len(ends))
		}
	}
	return out
}

// cuts returns where the units of rows [first, first+rows) cut into parts
// end, increasing, the last first+rows: equal rows (the first ones one row
// longer), each cut moved to the nearest of starts (increasing page
// starts, possibly none) when that moves it by at most an eighth of a
// unit and keeps the cuts increasing (see cutUnits). A cut that a page
// start's move overtook is dropped, so there may be fewer than parts.
func cuts(starts []int64, first, rows, parts int64) []int64 {
	end := first + rows
	out := make([]int64, 0, parts)
	size, extra := rows/parts, rows%parts
	at := first
	for k := range parts - 1 {
		at += size
		if k < extra {
			at++
		}
		cut := nearestStart(starts, at)
		prev := first
		if len(out) > 0 {
			prev = out[len(out)-1]
		}
		if cut <= prev || cut >= end || 8*max(cut-at, at-cut) > size {
			cut = at
		}
		if cut <= prev {
			continue // a page start took this cut's place
		}
		out = append(out, cut)
	}
	return append(out, end)
}

// nearestStart returns the element of starts (increasing) nearest to at,
// the lower on a tie, or at when starts is empty.
func nearestStart(starts []int64, at int64) int64 {
	k, _ := slices.BinarySearch(starts, at)
	switch {
	case len(starts) == 0:
		return at
	case k == len(starts):
		return starts[k-1]
	case k == 0 || starts[k] == at:
		return starts[k]
	case at-starts[k-1] <= starts[k]-at:
		return starts[k-1]
	}
	return starts[k]
}

// rangeChooser is implemented by inputs that read parts of some of their
// units only (sources.Arrow: record batches whose rows' bytes can be told
// apart); the others are read whole.
type rangeChooser interface {
	ReadsRanges(unit int) bool
}

// readsRanges reports whether in reads parts of unit rg, given that it
// reads parts of units (canReadRanges).
func readsRanges(in sources.Source, rg int) bool {
	if rc, ok := in.(rangeChooser); ok {
		return rc.ReadsRanges(rg)
	}
	return true
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
