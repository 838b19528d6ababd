package pipeline

import (
	"context"
	"fmt"
	"path"

	"golang.org/x/sync/semaphore"
)

// The layout stage: which rows of each output the job writes and in which
// files. Each output's rows, in output order, are cut into row groups and
// files by row counts alone (splitCutter); the layout says where the cut
// starts, which rows are kept and how the files are named: a whole job
// writes every row to part files, a shard of a sharded run (runshard.go)
// the rows of the row groups it owns, each row group to a file of its own,
// which the merge appends into the part files a single run would write.

// layout is the stage that places each output's rows in row groups and
// files.
type layout interface {
	// start returns split s's cutter before the job's first row.
	start(s int) splitCutter
	// keep returns the rows of rows, the next of c's output, that the job
	// writes, and advances c's place in the output's rows.
	keep(c *splitCutter, rows rowSeg) rowSeg
	// last reports whether c's pending rows, at the end of the job, are
	// written as a last row group.
	last(c *splitCutter) bool
	// file sets the file of row group j and whether it ends it, as it is
	// written.
	file(j *rowGroupJob)
	// name returns the path of file file of output s, slash-separated,
	// relative to the output directory.
	name(s, file int) string
}

// wholeJob is the layout of a job run at once: every row, in part files
// DIR/SPLIT/part-NNNNN.EXT (or DIR/part-NNNNN.EXT when flat).
type wholeJob struct {
	names []string
	flat  bool // one output, its files directly in the output directory
	ext   string
}

func (l wholeJob) start(s int) splitCutter               { return splitCutter{split: s} }
func (wholeJob) keep(_ *splitCutter, rows rowSeg) rowSeg { return rows }
func (wholeJob) file(*rowGroupJob)                       {}
func (l wholeJob) name(s, file int) string {
	return path.Join(l.dir(s), fmt.Sprintf("part-%05d%s", file, l.ext))
}
func (l wholeJob) dir(s int) string {
	if l.flat {
		return ""
	}
	return l.names[s]
}

// last: every output's open file is closed, with the rows still pending if
// any; an output without rows still gets one empty file, so that its
// directory carries the schema.
func (wholeJob) last(c *splitCutter) bool {
	return c.pendingRows > 0 || c.rowsInFile > 0 || c.total == 0
}

// shardWindow is the layout of one shard of a sharded run: of each output,
// the rows of the row groups the shard owns (windows[s]), each row group in
// a file of its own, DIR/SPLIT/rg-NNNNNN.parquet.
type shardWindow struct {
	names   []string
	windows []rowWindow
}

// rowWindow is the part of one split's row stream a shard keeps: the
// split's rows numbered from 0 across the whole job, the shard's first unit
// starting at row first; rows [from, to) are kept. The first kept row opens
// row group seq, in file file after rowsInFile rows.
type rowWindow struct {
	first, from, to int64
	file            int
	rowsInFile      int64
	seq             int
}

func (l shardWindow) start(s int) splitCutter {
	w := l.windows[s]
	return splitCutter{split: s, file: w.file, rowsInFile: w.rowsInFile, seq: w.seq, pos: w.first}
}

func (l shardWindow) keep(c *splitCutter, rows rowSeg) rowSeg {
	w := l.windows[c.split]
	n := rows.len()
	lo, hi := min(max(w.from-c.pos, 0), n), min(max(w.to-c.pos, 0), n)
	c.pos += n
	return rows.slice(lo, hi)
}

// last: a shard's window ends where a row group ends, a short one when it
// is the split's last, which is pending here; the merge writes the empty
// files.
func (shardWindow) last(c *splitCutter) bool { return c.pendingRows > 0 }

// file: a shard's row group, alone in its file.
func (shardWindow) file(j *rowGroupJob) { j.file, j.last = j.seq, true }

func (l shardWindow) name(s, file int) string { return path.Join(l.names[s], shardGroupName(file)) }

// splitCutter cuts one output's stream of rows into row groups and files
// by row counts alone.
type splitCutter struct {
	split       int
	file        int
	rowsInFile  int64
	seq         int
	pending     []rowSeg
	pendingRows int64
	total       int64
	pos         int64        // rows of the split seen, for a shard's window
	stream      *groupStream // the open row group's encoder, when streaming
}

// cutter cuts every output's rows into row-group jobs, sent to out in each
// output's order; a job holds its weight of the job window until written.
type cutter struct {
	e         *engine
	ctx       context.Context
	splits    []splitCutter
	out       chan<- rowGroupJob
	jobWindow *semaphore.Weighted
}

func (e *engine) newCutter(ctx context.Context, out chan<- rowGroupJob, jobWindow *semaphore.Weighted) *cutter {
	c := &cutter{e: e, ctx: ctx, splits: make([]splitCutter, len(e.names)), out: out, jobWindow: jobWindow}
	for s := range c.splits {
		c.splits[s] = e.layout.start(s)
	}
	return c
}

// emit sends split c's pending rows as a row group, the last of its file
// if last.
func (cut *cutter) emit(c *splitCutter, last bool) error {
	j := rowGroupJob{split: c.split, seq: c.seq, file: c.file, last: last, segs: c.pending, rows: c.pendingRows}
	j.weight = cut.e.jobWeight(j.rows)
	c.seq++
	c.rowsInFile += c.pendingRows
	c.pending, c.pendingRows = nil, 0
	if last {
		c.file++
		c.rowsInFile = 0
	}
	if err := cut.jobWindow.Acquire(cut.ctx, j.weight); err != nil {
		return err
	}
	// A streamed row group is finished (read back and copied, on the row
	// path) once it is closed, so it is closed only once it holds the
	// window: closed before, it was finished beside the row group holding
	// the window, and at the end of a run every output's last one at once.
	j.stream = c.closeStream()
	select {
	case cut.out <- j:
		return nil
	case <-cut.ctx.Done():
		return cut.ctx.Err()
	}
}

// put adds the next rows of output s, emitting each row group it fills.
func (cut *cutter) put(s int, rows rowSeg) error {
	e := cut.e
	c := &cut.splits[s]
	rows = e.layout.keep(c, rows)
	// Each piece of rows in a row group holds a use of a shared unit;
	// rows' own use ends here.
	defer rows.shared.release()
	n := rows.len()
	for from := int64(0); from < n; {
		target := min(e.rowGroupRows, e.rowsPerFile-c.rowsInFile)
		take := min(n-from, target-c.pendingRows)
		rows.shared.use()
		if e.streams != nil {
			if err := e.streams.feed(cut.ctx, e, c, rows.slice(from, from+take)); err != nil {
				return err
			}
		} else {
			c.pending = append(c.pending, rows.slice(from, from+take))
		}
		c.pendingRows += take
		c.total += take
		from += take
		if c.pendingRows == target {
			if err := cut.emit(c, c.rowsInFile+target == e.rowsPerFile); err != nil {
				return err
			}
		}
	}
	return nil
}

// finish emits every output's last row group, as the layout says.
func (cut *cutter) finish() error {
	for s := range cut.splits {
		if c := &cut.splits[s]; cut.e.layout.last(c) {
			if err := cut.emit(c, true); err != nil {
				return err
			}
		}
	}
	return nil
}
