package report

import (
	"cmp"
	"context"
	"fmt"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/splitdata/splitdata/pipeline"
)

// runHold is the most leak records, in bytes, a report computed inside
// a run keeps in memory while the run writes: beyond, they go to files
// at once, so that the run's memory is the job's, and are read back and
// sorted a partition at a time, a quarter of the budget each, once the
// job's buffers are gone (10M gen rows: peak RSS that of the split).
const runHold = 16 << 20

// Attachment writes a report and a dataset card into a job's output. It
// is both the job's [pipeline.JobOptions] Observer, which computes the
// figures as the job encodes its row groups, each on the goroutine
// encoding it, and its Attach, which writes them. Where it cannot see
// every row (outputs other than Parquet, row groups encoded as their
// rows arrive), Attach reads the output back, as [Compute] does; the
// figures are the same either way.
//
// Use a new Attachment for each job.
type Attachment struct {
	opts       Options
	html, card bool

	sc          *scanner
	back        bool // Attach reads the output back
	splits      []string
	materialize bool
	accs        []*acc // [job split]; nil for splits not reported
	leak        *leakFinder
	files       []string // slash-separated, in the output
	fileIndex   map[string]uint32
	scans       sync.Pool // *rowScan
	bufs        leakBufs
}

// NewAttachment returns the Attachment of a job writing the report
// (html) and the dataset card (card). opts.Label and opts.Group should be
// the job's --stratify and --group columns when those are the ones
// reported (the defaults of [Compute]); opts.Out names the output in the
// reproducing command.
func NewAttachment(opts Options, html, card bool) *Attachment {
	if opts.MemoryLimit <= 0 {
		opts.MemoryLimit = DefaultMemoryLimit
	}
	return &Attachment{opts: opts, html: html, card: card}
}

var _ pipeline.Observer = (*Attachment)(nil)

// Start prepares the accumulators of the job's splits.
func (a *Attachment) Start(info pipeline.ObserveInfo) error {
	if info.Format != "parquet" || !info.Complete {
		a.back = true
		return nil
	}
	sc, err := newScanner(info.Schema, a.opts)
	if err != nil {
		return err
	}
	a.sc, a.splits = sc, info.Splits
	// kfold --materialize writes fold-j/train and fold-j/test; a report
	// shows each fold once, as its test rows.
	a.materialize = true
	for _, name := range info.Splits {
		a.materialize = a.materialize && strings.Contains(name, "/")
	}
	a.accs = make([]*acc, len(info.Splits))
	for s, name := range info.Splits {
		if !a.materialize || strings.HasSuffix(name, "/test") {
			a.accs[s] = sc.newAcc()
		}
	}
	sc.fastRows = fastRowsFit(info.Rows, a.opts.MemoryLimit/4)
	a.leak, err = newLeakCheck(info.Rows, len(sc.groups) > 0, sc.fastRows, a.opts.MemoryLimit/4, runHold, a.opts.TempDir)
	if err != nil {
		return err
	}
	a.leak.setWorkers(cmp.Or(a.opts.Workers, runtime.GOMAXPROCS(0)))
	a.fileIndex = map[string]uint32{}
	return nil
}

// RowGroup computes the figures of one row group on the goroutine
// encoding it; they are merged once it is written, in file order.
func (a *Attachment) RowGroup(split, seq int, rows pipeline.RowGroupRows) (func(string, int64) error, error) {
	if a.back || a.accs[split] == nil {
		return nil, nil
	}
	var n int64
	for _, b := range rows.Batches {
		n += int64(b.NumRows())
	}
	for _, r := range rows.Rows {
		n += int64(len(r))
	}
	at := place{split: uint16(split), leak: true}
	x := a.sc.newUnitAcc(n, at, &a.bufs)
	rs, _ := a.scans.Get().(*rowScan)
	if rs == nil {
		rs = newRowScan()
	}
	for _, b := range rows.Batches {
		a.sc.scanBatch(b, x, at, rs)
		at.firstRow += uint64(b.NumRows())
	}
	for _, r := range rows.Rows {
		a.sc.scanRows(r, x, at, at.firstRow, rs)
		at.firstRow += uint64(len(r))
	}
	a.scans.Put(rs)
	return func(file string, first int64) error {
		fi, ok := a.fileIndex[file]
		if !ok {
			fi = uint32(len(a.files))
			a.files = append(a.files, file)
			a.fileIndex[file] = fi
		}
		for i := range x.recs {
			x.recs[i].file = fi
			x.recs[i].row += uint64(first)
		}
		a.accs[split].merge(x)
		err := a.leak.add(x.recs)
		if err == nil {
			err = a.leak.addHashes(fi, uint16(split), uint64(first), x.hashes)
		}
		a.bufs.put(x)
		a.sc.release(x)
		return err
	}, nil
}

// Attach writes the report and the card into dir, the output about to
// be committed with manifest m, and lists them in it.
func (a *Attachment) Attach(ctx context.Context, dir string, m *pipeline.Manifest) error {
	if a.leak != nil {
		defer a.leak.close()
	}
	o := a.opts
	o.Dir, o.Manifest = dir, m
	o.reportFlag, o.cardFlag = a.html, a.card
	r, err := a.report(ctx, o)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return writeExtras(dir, m, r, a.html, a.card)
}

// report returns the report of the observed rows, or of the output read
// back when they are not all the rows Compute would read.
func (a *Attachment) report(ctx context.Context, o Options) (*Report, error) {
	m := o.Manifest
	if a.back || a.sc == nil || len(a.files) == 0 || m.Options.Materialize != a.materialize ||
		a.sc.labelName() != cmp.Or(o.Label, m.Options.Stratify) || a.sc.groupName() != cmp.Or(o.Group, m.Options.Group) {
		return Compute(ctx, o)
	}
	if o.Label == "" {
		o.Label = m.Options.Stratify
	}
	if o.Group == "" {
		o.Group = m.Options.Group
	}
	parts, err := partsOf(m, o.Dir, nil)
	if err != nil {
		return nil, err
	}
	// The job's splits, numbered as the records number them, become the
	// report's parts.
	byName := map[string]int{}
	for i, p := range parts {
		byName[p.name] = i
	}
	accs := make([]*acc, len(parts))
	remap := make([]uint16, len(a.splits))
	for s, name := range a.splits {
		if a.accs[s] == nil {
			continue
		}
		i, ok := byName[strings.TrimSuffix(name, "/test")]
		if !ok || accs[i] != nil {
			return Compute(ctx, o)
		}
		accs[i] = a.accs[s]
		remap[s] = uint16(i)
	}
	a.leak.setRemap(remap)
	for _, x := range accs {
		if x == nil {
			return Compute(ctx, o)
		}
	}
	files := make([]string, len(a.files))
	for i, f := range a.files {
		files[i] = filepath.Join(o.Dir, filepath.FromSlash(path.Clean(f)))
	}
	// The engine is done: the log may take a report's share of the
	// budget, as Compute gives it (half of it, a quarter with groups).
	share := a.opts.MemoryLimit / 2
	if len(a.sc.groups) > 0 {
		share /= 2
	}
	a.leak.widenLog(share)
	return buildWithLeaks(ctx, m, o, a.sc, parts, accs, files, a.leak)
}

func (s *scanner) labelName() string {
	if s.label < 0 {
		return ""
	}
	return s.cols[s.label].name
}
