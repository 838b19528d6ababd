package pipeline

import "sort"

// The output layout of a sharded job: which row groups of each split a
// shard writes, computed from the plan's per-unit counts alone, so that
// the merge appends them into the files a single run would write.

// groupSpan is one output row group of a split: rows [from, to) of the
// split, row group seq of the split, in file file.
type groupSpan struct {
	seq      int
	file     int
	from, to int64
}

// splitLayout is the output layout of a split of total rows, cut as the
// engine cuts it: files of rowsPerFile rows, each cut into row groups of
// rowGroupRows rows counted from the file's start. Its row groups are
// computed, not listed, so that finding a shard's groups takes constant
// time and memory. ParsePlan bounds the number of groups.
type splitLayout struct {
	total, rowsPerFile, rowGroupRows int64
	perFile                          int64 // row groups of a full file
}

// newSplitLayout returns the layout of a split of total rows; rowsPerFile
// and rowGroupRows are positive.
func newSplitLayout(total, rowsPerFile, rowGroupRows int64) splitLayout {
	perFile := rowsPerFile / rowGroupRows
	if rowsPerFile%rowGroupRows != 0 {
		perFile++
	}
	return splitLayout{total: total, rowsPerFile: rowsPerFile, rowGroupRows: rowGroupRows, perFile: perFile}
}

// numGroups is the number of row groups. It cannot overflow: perFile is at
// most rowsPerFile, so full files hold at most total groups.
func (l splitLayout) numGroups() int64 {
	full, rest := l.total/l.rowsPerFile, l.total%l.rowsPerFile
	n := full * l.perFile
	if rest > 0 {
		n += rest / l.rowGroupRows
		if rest%l.rowGroupRows != 0 {
			n++
		}
	}
	return n
}

// group returns row group seq, for 0 <= seq < numGroups.
func (l splitLayout) group(seq int64) groupSpan {
	file := seq / l.perFile
	start := file * l.rowsPerFile
	from := start + seq%l.perFile*l.rowGroupRows
	end := l.total
	if l.rowsPerFile < l.total-start {
		end = start + l.rowsPerFile
	}
	return groupSpan{seq: int(seq), file: int(file), from: from, to: from + min(l.rowGroupRows, end-from)}
}

// firstGroupAt returns the first row group that starts at or after row
// (numGroups if none does), for 0 <= row <= total.
func (l splitLayout) firstGroupAt(row int64) int64 {
	file, off := row/l.rowsPerFile, row%l.rowsPerFile
	j := off / l.rowGroupRows
	if off%l.rowGroupRows != 0 {
		j++
	}
	if j >= l.perFile {
		file, j = file+1, 0
	}
	if file >= l.total/l.rowsPerFile+1 {
		return l.numGroups()
	}
	return min(file*l.perFile+j, l.numGroups())
}

// splitRows is the number of rows of split s.
func (p *Plan) splitRows(s int) int64 {
	var total int64
	for _, u := range p.Units {
		total += u.Counts[s]
	}
	return total
}

// layout is split s's output layout.
func (p *Plan) layout(s int) splitLayout {
	return newSplitLayout(p.splitRows(s), p.Options.RowsPerFile, p.Options.RowGroupRows)
}

// shardUnits returns shard k's range of units [start, end).
func (p *Plan) shardUnits(k int) (start, end int) {
	start, end = p.Shards[k], len(p.Units)
	if k+1 < len(p.Shards) {
		end = p.Shards[k+1]
	}
	return start, end
}

// shardRows sets rows[k], for every shard k, to the rows of split s in the
// units before shard k's first, and rows[len(p.Shards)] to the split's
// rows: shard k owns the split's row groups that start in rows
// [rows[k], rows[k+1]). It takes one pass over the units.
func (p *Plan) shardRows(s int, rows []int64) {
	u, acc := 0, int64(0)
	for k, start := range p.Shards {
		for ; u < start; u++ {
			acc += p.Units[u].Counts[s]
		}
		rows[k] = acc
	}
	for ; u < len(p.Units); u++ {
		acc += p.Units[u].Counts[s]
	}
	rows[len(p.Shards)] = acc
}

// groupRange is the row groups [lo, hi) of a split a shard owns.
type groupRange struct{ lo, hi int64 }

// len is the number of row groups in the range.
func (r groupRange) len() int { return int(r.hi - r.lo) }

// shardWork is what shard k of a plan does: read units [lo, hi) and keep,
// of each split, the rows of the row groups it owns.
type shardWork struct {
	lo, hi  int
	windows []rowWindow
	groups  []groupRange // per split, the row groups the shard writes
}

// work derives shard k's work from the plan. A shard owns the row groups
// whose first row lies in its units; it reads on to the unit holding the
// last row of its last group.
func (p *Plan) work(k int) shardWork {
	start, end := p.shardUnits(k)
	nsplits := len(p.Options.Splits)
	w := shardWork{lo: len(p.Units), hi: 0, windows: make([]rowWindow, nsplits), groups: make([]groupRange, nsplits)}
	prefix := make([]int64, len(p.Units)+1)
	for s := range nsplits {
		// prefix[u]: rows of split s in the units before u.
		for u, unit := range p.Units {
			prefix[u+1] = prefix[u] + unit.Counts[s]
		}
		unitOf := func(row int64) int { // the unit holding the split's row
			return sort.Search(len(p.Units), func(u int) bool { return prefix[u+1] > row })
		}
		// A group starting at row r lies in a unit of [start, end) exactly
		// when prefix[start] <= r < prefix[end].
		l := newSplitLayout(prefix[len(p.Units)], p.Options.RowsPerFile, p.Options.RowGroupRows)
		g := groupRange{lo: l.firstGroupAt(prefix[start]), hi: l.firstGroupAt(prefix[end])}
		w.groups[s] = g
		if g.len() == 0 {
			continue
		}
		first, last := l.group(g.lo), l.group(g.hi-1)
		w.lo = min(w.lo, unitOf(first.from))
		w.hi = max(w.hi, unitOf(last.to-1)+1)
		w.windows[s] = rowWindow{from: first.from, to: last.to, file: first.file,
			rowsInFile: first.from - int64(first.file)*p.Options.RowsPerFile, seq: first.seq}
	}
	if w.lo >= w.hi {
		w.lo, w.hi = start, start
	}
	for s := range nsplits {
		for _, unit := range p.Units[:w.lo] {
			w.windows[s].first += unit.Counts[s]
		}
	}
	return w
}
