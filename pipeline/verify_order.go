package pipeline

import (
	"context"
	"fmt"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/sources"
	"github.com/splitdata/splitdata/splitter"
)

// Verification of time-ordered outputs (--order-by, kfold --time-series)
// and of repeated folds (kfold --repeats): verify --input rebuilds their
// placement from the manifest like any other, and also checks the order
// itself on the output files, independently of the placement: every value
// of an earlier split comes no later in the order than every value of a
// later one (time-series folds: train before test).

// verifyOrderPlacer rebuilds the placement of a time-ordered job of
// manifest m over the plan's rows: its place function, the fanout of
// time-series folds (nil otherwise) and a release function.
func verifyOrderPlacer(ctx context.Context, m *Manifest, p *plan, memory int64) (placeFunc, [][]int, func(), error) {
	cfg := SplitConfig{Splits: m.Options.Splits, OrderBy: m.Options.OrderBy, Nulls: m.Options.Nulls}.withDefaults()
	cfg.MemoryLimit, cfg.ShuffleMemory = memory, heapBudget(memory)/2
	op, err := newOrderPlan(ctx, cfg, m.Options.TimeSeries, p)
	if err != nil {
		return nil, nil, nil, err
	}
	return op.place, op.fanout, op.release, nil
}

// verifyRepeats verifies each repeat of a kfold --repeats output as the
// k-fold job it ran as: repeat r's splits, with the keys of the master
// generator jumped r times.
func verifyRepeats(ctx context.Context, d outputFiles, m *Manifest, inputs []string, more []Input, memory int64, r *VerifyReport) error {
	for rep := range m.Options.Repeats {
		prefix := fmt.Sprintf("repeat-%d/", rep)
		sub := *m
		sub.Options.Repeats = 0
		sub.Options.Epoch = uint64(rep)
		sub.Splits = nil
		for _, s := range m.Splits {
			if strings.HasPrefix(s.Name, prefix) {
				sub.Splits = append(sub.Splits, s)
			}
		}
		want := len(m.Options.Splits)
		if m.Options.Materialize {
			want *= 2
		}
		if len(sub.Splits) != want {
			r.Problems = append(r.Problems, fmt.Sprintf("%s: %d outputs, want %d", strings.TrimSuffix(prefix, "/"), len(sub.Splits), want))
			continue
		}
		if err := verifyRows(ctx, d, &sub, inputs, more, memory, r); err != nil {
			return fmt.Errorf("%s: %w", strings.TrimSuffix(prefix, "/"), err)
		}
	}
	return nil
}

// checkTimeOrder checks, on the output files of a job ordered by a column,
// that each split's values come no later in the order than the next
// split's (ties are allowed: row indices break them, and output rows do
// not carry them); for time-series folds, that each fold's train values
// come no later than its test values. It reads only the output files.
func checkTimeOrder(ctx context.Context, d outputFiles, m *Manifest, problem func(format string, args ...any)) error {
	if m.Options.OrderBy == "" || m.Options.OrderBy == OrderByRow {
		return nil
	}
	spans := make([]orderSpan, len(m.Splits))
	for s, info := range m.Splits {
		sp := orderSpan{lo: ^uint64(0)}
		for _, f := range info.Files {
			src, closeSrc, err := d.openSource(m.Options, f.Path)
			if err != nil {
				return err
			}
			col, kind, err := orderColumn(src.Schema(), m.Options.OrderBy)
			if err != nil {
				closeSrc()
				return fmt.Errorf("%w: %s: %w", ErrBadManifest, f.Path, err)
			}
			err = sp.add(ctx, src, col, kind, splitter.NullOrderKey(m.Options.Nulls))
			closeSrc()
			if err != nil {
				return err
			}
		}
		spans[s] = sp
	}
	before := func(a, b int) {
		if spans[a].rows > 0 && spans[b].rows > 0 && spans[a].hi > spans[b].lo {
			problem("%s: holds a row later in the order of %q than a row of %s, which comes after it", m.Splits[a].Name, m.Options.OrderBy, m.Splits[b].Name)
		}
	}
	if m.Options.TimeSeries != nil {
		for s := 0; s+1 < len(spans); s += 2 {
			before(s, s+1) // fold-j/train, fold-j/test
		}
		return nil
	}
	last := -1
	for s := range spans {
		if spans[s].rows == 0 {
			continue
		}
		if last >= 0 {
			before(last, s)
		}
		last = s
	}
	return nil
}

// orderSpan is the smallest and the largest order key of the rows of an
// output, and their count.
type orderSpan struct {
	lo, hi uint64
	rows   int64
}

// add widens s by the order keys of column col, of kind, in every row of
// src, a null's key being nullKey. It reads the column alone where src can,
// else whole rows.
func (s *orderSpan) add(ctx context.Context, src sources.FileSource, col int, kind orderKind, nullKey uint64) error {
	for u := range src.NumUnits() {
		err := readUnitValues(ctx, src, src.Name(), u, src.UnitNumRows(u), col, func(_ int, v parquet.Value) {
			key := nullKey
			if !v.IsNull() {
				key = kind.key(v)
			}
			s.lo, s.hi = min(s.lo, key), max(s.hi, key)
			s.rows++
		})
		if err != nil {
			return err
		}
	}
	return nil
}
