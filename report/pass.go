package report

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/sources"
)

// testRowsOnly, set by tests, reads every file as rows.
var testRowsOnly bool

// passFile is a file being read by the pass.
type passFile struct {
	src    sources.FileSource
	batch  sources.BatchReader // nil: read as rows
	units  int
	merged int // units merged so far (by the merging goroutine)
	closed bool
}

// passUnit is one unit of one file to scan: seq numbers the units of all
// files in order.
type passUnit struct {
	seq  int
	part int
	f    *passFile
	unit int
	at   place
}

// scanned is a scanned unit's accumulators.
type scanned struct {
	passUnit
	a *acc
}

// scanParts reads the units of every part's files, workers at a time,
// each into accumulators of its own, and merges these into accs[part]
// (and their leak records into leak) strictly in file and unit order,
// so that no figure depends on workers or on which unit finished
// first. Parquet files are read as columnar batches, others as rows. It
// returns the paths of the files, in the order their records number
// them.
func (s *scanner) scanParts(ctx context.Context, m *pipeline.Manifest, parts []part, workers int, accs []*acc, leak *leakFinder) ([]string, error) {
	var (
		files []string
		mu    sync.Mutex
		open  []*passFile // closed at the end if an error stopped the pass
	)
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, f := range open {
			if !f.closed {
				f.src.Close()
			}
		}
	}()
	// At most 2*workers units between the producer and the merge: the
	// accumulators in flight are bounded by the workers, never by the
	// rows.
	window := semaphore.NewWeighted(int64(2 * workers))
	g, gctx := errgroup.WithContext(ctx)
	todo := make(chan passUnit, workers)
	done := make(chan scanned, workers)
	g.Go(func() error {
		defer close(todo)
		seq := 0
		for i, p := range parts {
			o := outputOptions(m)
			if p.input {
				o = inputOptions(m)
			}
			for _, path := range p.files {
				src, err := sources.Open(path, o)
				if err != nil {
					return err
				}
				f := &passFile{src: src, units: src.NumUnits()}
				if br, ok := src.(sources.BatchReader); ok && !testRowsOnly {
					if layout, err := br.Layout(); err == nil && len(layout) == len(s.cols) {
						f.batch = br
					}
				}
				mu.Lock()
				open = append(open, f)
				fi := uint32(len(files))
				files = append(files, path)
				if f.units == 0 {
					f.closed = true
					err = src.Close()
				}
				mu.Unlock()
				if err != nil {
					return err
				}
				var row uint64
				for u := range f.units {
					if err := window.Acquire(gctx, 1); err != nil {
						return err
					}
					t := passUnit{seq: seq, part: i, f: f, unit: u, at: place{split: uint16(i), file: fi, firstRow: row, leak: !p.input}}
					seq++
					row += uint64(src.UnitNumRows(u))
					select {
					case todo <- t:
					case <-gctx.Done():
						return gctx.Err()
					}
				}
			}
		}
		return nil
	})
	var bufs leakBufs
	var wg sync.WaitGroup
	wg.Add(workers)
	for range workers {
		g.Go(func() error {
			defer wg.Done()
			rs := newRowScan()
			var reuse *columnar.Batch
			for t := range todo {
				var a *acc
				var err error
				if t.f.batch != nil {
					var b *columnar.Batch
					b, err = t.f.batch.ReadBatchInto(gctx, t.unit, reuse)
					if err == nil {
						a = s.newUnitAcc(int64(b.Len), t.at, &bufs)
						s.scanBatch(b, a, t.at, rs)
						reuse = b
					}
				} else {
					a, err = s.scanUnit(gctx, t.f.src, t.unit, t.at, rs, &bufs)
				}
				if err != nil {
					return err
				}
				select {
				case done <- scanned{t, a}:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		wg.Wait()
		close(done)
		return nil
	})
	g.Go(func() error {
		held := map[int]scanned{}
		next := 0
		for x := range done {
			held[x.seq] = x
			for x, ok := held[next]; ok; x, ok = held[next] {
				delete(held, next)
				next++
				window.Release(1)
				accs[x.part].merge(x.a)
				if err := leak.add(x.a.recs); err != nil {
					return err
				}
				if err := leak.addHashes(x.at.file, x.at.split, x.at.firstRow, x.a.hashes); err != nil {
					return err
				}
				bufs.put(x.a)
				s.release(x.a)
				if x.f.merged++; x.f.merged == x.f.units {
					mu.Lock()
					x.f.closed = true
					mu.Unlock()
					if err := x.f.src.Close(); err != nil {
						return fmt.Errorf("close %s: %w", x.f.src.Name(), err)
					}
				}
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return files, nil
}
