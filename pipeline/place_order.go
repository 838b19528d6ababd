package pipeline

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
	"golang.org/x/sync/errgroup"

	"github.com/splitdata/splitdata/internal/scratch"
	"github.com/splitdata/splitdata/sources"
	"github.com/splitdata/splitdata/splitter"
)

// Time-ordered jobs (--order-by, kfold --time-series; docs/algorithm.md
// section 18). With a column, a first pass reads only that column and
// keeps every row's order key (8 bytes a row, in memory up to the
// per-row budget, else in a temporary file); a radix select over the keys
// gives the rows at the target ranks, and the main pass assigns every row
// from its order key and index. In row order no pass is needed: a row's
// split follows from its index.

// PhaseOrderBy is the progress phase of reading the --order-by column.
const PhaseOrderBy = "order-by"

// OrderByRow is the OrderBy value of a sequential split: rows in input
// order (global row index), scikit-learn's shuffle=False.
const OrderByRow = "row"

// orderKind is how a column's values become order keys.
type orderKind int

const (
	orderSigned   orderKind = iota // INT32, INT64: integers, dates, timestamps, times, decimals
	orderUnsigned                  // INT32, INT64 of unsigned integer type
	orderFloat                     // FLOAT, DOUBLE
)

// orderColumn finds the leaf column of --order-by: a non-repeated integer,
// float, date or timestamp column. Errors wrap ErrUsage.
func orderColumn(schema *parquet.Schema, name string) (int, orderKind, error) {
	leaf, ok := schema.Lookup(strings.Split(name, ".")...)
	if !ok {
		return 0, 0, fmt.Errorf("%w: --order-by %q: no such column; the columns are %s (or --order-by row: input order)", ErrUsage, name, columnNames(schema))
	}
	if leaf.MaxRepetitionLevel > 0 {
		return 0, 0, fmt.Errorf("%w: --order-by %q: a repeated column cannot order rows", ErrUsage, name)
	}
	t := leaf.Node.Type()
	switch t.Kind() {
	case parquet.Int32, parquet.Int64:
		if lt := t.LogicalType(); lt != nil {
			if it, ok := lt.Value.(*format.IntType); ok && !it.IsSigned {
				return leaf.ColumnIndex, orderUnsigned, nil
			}
		}
		if ct := t.ConvertedType(); ct != nil {
			switch *ct {
			case deprecated.Uint8, deprecated.Uint16, deprecated.Uint32, deprecated.Uint64:
				return leaf.ColumnIndex, orderUnsigned, nil
			}
		}
		return leaf.ColumnIndex, orderSigned, nil
	case parquet.Float, parquet.Double:
		return leaf.ColumnIndex, orderFloat, nil
	}
	hint := ""
	if t.Kind() == parquet.ByteArray {
		hint = `; dates and times in CSV or JSON Lines are text unless --schema says NAME:date or NAME:timestamp`
	}
	return 0, 0, fmt.Errorf("%w: --order-by %q: unsupported column type %s (want an integer, float, date or timestamp column)%s", ErrUsage, name, t, hint)
}

// orderKey returns the order key of a non-null value of a column of kind k.
func (k orderKind) key(v parquet.Value) uint64 {
	switch v.Kind() {
	case parquet.Int32:
		if k == orderUnsigned {
			return splitter.OrderKeyUint(uint64(uint32(v.Int32())))
		}
		return splitter.OrderKeyInt(int64(v.Int32()))
	case parquet.Int64:
		if k == orderUnsigned {
			return splitter.OrderKeyUint(uint64(v.Int64()))
		}
		return splitter.OrderKeyInt(v.Int64())
	case parquet.Float:
		return splitter.OrderKeyFloat(float64(v.Float()))
	default:
		return splitter.OrderKeyFloat(v.Double())
	}
}

// readOrderKeys reads column col of every unit of the plan (the column
// alone where the source can) and returns every row's order key, kept in
// memory up to limit bytes (8 per row), else in a temporary file in dir;
// units are read on up to workers goroutines. It refuses a column holding
// both nulls and the value whose key is the nulls' (the smallest integer
// with nulls first, the largest with nulls last). The caller closes the
// table.
func readOrderKeys(ctx context.Context, p *plan, name string, col int, kind orderKind, nulls string, workers int, limit int64, dir scratch.Dir, progress Progress) (*rowTable[uint64], error) {
	keys, err := newRowTable[uint64](p.rows, limit, dir)
	if err != nil {
		return nil, err
	}
	nullKey := splitter.NullOrderKey(nulls)
	var sawNull, sawClash atomic.Bool
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for _, u := range p.units {
		g.Go(func() error {
			out := make([]uint64, u.rows)
			err := readValues(gctx, p, u, col, func(k int, v parquet.Value) {
				if v.IsNull() {
					out[k] = nullKey
					sawNull.Store(true)
					return
				}
				out[k] = kind.key(v)
				if out[k] == nullKey {
					sawClash.Store(true)
				}
			})
			if err != nil {
				return err
			}
			progress.Add(u.rows)
			return keys.write(u.start, out)
		})
	}
	if err := g.Wait(); err != nil {
		keys.close()
		return nil, err
	}
	if sawNull.Load() && sawClash.Load() {
		keys.close()
		other, value := splitter.NullsLast, "smallest"
		if nulls != splitter.NullsFirst {
			other, value = splitter.NullsFirst, "largest"
		}
		return nil, fmt.Errorf("%w: --order-by %q: the column holds nulls and the %s integer of its type, which share one place in the order with --nulls %s: use --nulls %s",
			ErrUsage, name, value, nullsName(nulls), other)
	}
	return keys, nil
}

// nullsName is the --nulls value nulls stands for.
func nullsName(nulls string) string {
	if nulls == "" {
		return splitter.NullsLast
	}
	return nulls
}

// readValues passes the value of column col in every row k of unit u to
// fn, in row order: from the column alone where the source can, else from
// whole rows. It checks that the unit holds one value per row. A value is
// valid only until fn returns.
func readValues(ctx context.Context, p *plan, u unit, col int, fn func(k int, v parquet.Value)) error {
	return readUnitValues(ctx, p.inputs[u.input], p.paths[u.input], u.rg, u.rows, col, fn)
}

// readUnitValues passes the value of column col in every row k of unit i
// of src, which holds rows rows, to fn, in row order: from the column alone
// where src can (a [sources.ColumnReader]), else from whole rows. It
// checks that the unit holds one value per row; path names src in errors.
// A value is valid only until fn returns.
func readUnitValues(ctx context.Context, src sources.FileSource, path string, i int, rows int64, col int, fn func(k int, v parquet.Value)) error {
	k := 0
	add := func(v parquet.Value) error {
		if int64(k) == rows {
			return &sources.InputError{Path: path, RowGroup: i, Err: fmt.Errorf("%w: more values than rows", sources.ErrCorrupt)}
		}
		fn(k, v)
		k++
		return nil
	}
	var err error
	if cr, ok := src.(sources.ColumnReader); ok {
		err = cr.ReadColumn(ctx, i, col, readBatch, func(values []parquet.Value) error {
			for _, v := range values {
				if err := add(v); err != nil {
					return err
				}
			}
			return nil
		})
	} else {
		err = src.ReadUnit(ctx, i, readBatch, func(rows []parquet.Row) error {
			for _, row := range rows {
				if err := add(columnValue(row, col)); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err == nil && int64(k) != rows {
		err = &sources.InputError{Path: path, RowGroup: i, Err: fmt.Errorf("%w: %d values for %d rows", sources.ErrCorrupt, k, rows)}
	}
	return err
}

// orderPlan is the placement of a time-ordered job: its place function,
// the rows in no output and the extra copies written, and, for
// time-series folds, the outputs and which of them each assigned id goes
// to.
type orderPlan struct {
	place      placeFunc
	unassigned int64
	duplicates int64
	names      []string // nil: the splits' names
	fanout     [][]int  // nil: id s is output s
	release    func()
}

// newOrderPlan builds the placement of a job ordered by cfg.OrderBy over
// the plan's rows: exact sizes of the split list (or, for time-series
// folds, the segments between the folds' edges) cut from the order of the
// column's values, ties by row index, or from row order. The boundary
// search takes what the order keys leave of cfg.MemoryLimit
// (searchMemory).
func newOrderPlan(ctx context.Context, cfg SplitConfig, ts *splitter.TimeSeriesOptions, p *plan) (*orderPlan, error) {
	op := &orderPlan{release: func() {}}
	var sizes []int64
	var err error
	if ts != nil {
		folds, err := splitter.TimeSeriesFolds(p.rows, len(cfg.Splits), *ts)
		if err != nil {
			return nil, err
		}
		var outs [][]int
		sizes, outs = splitter.FoldSegments(p.rows, folds)
		if len(sizes) > splitter.MaxSplits {
			return nil, fmt.Errorf("%w: %d time-series folds with these options cut the rows into %d segments, at most %d: use fewer folds", ErrUsage, len(cfg.Splits), len(sizes), splitter.MaxSplits)
		}
		op.names, _ = materializedFolds(splitNames(cfg.Splits)) // fold-j/train, fold-j/test
		op.fanout = outs
		for s, o := range outs {
			if len(o) == 0 {
				op.unassigned += sizes[s]
			} else {
				op.duplicates += sizes[s] * int64(len(o)-1)
			}
		}
	} else {
		if sizes, err = splitter.Sizes(cfg.Splits, p.rows); err != nil {
			return nil, err
		}
		op.unassigned = p.rows
		for _, s := range sizes {
			op.unassigned -= s
		}
	}
	if cfg.OrderBy == OrderByRow {
		bounds, err := splitter.RowOrderBoundaries(p.rows, sizes)
		if err != nil {
			return nil, err
		}
		op.place = func(keys []uint64, start int64, ids []uint8) error {
			splitter.SequentialAssign(bounds, start, ids[:len(keys)])
			return nil
		}
		return op, nil
	}
	col, kind, err := orderColumn(p.schema, cfg.OrderBy)
	if err != nil {
		return nil, err
	}
	cfg.Progress.Phase(PhaseOrderBy, p.rows)
	keys, err := readOrderKeys(ctx, p, cfg.OrderBy, col, kind, cfg.Nulls, cfg.Workers, cfg.ShuffleMemory, tempFiles(cfg.TempStore, cfg.TempDir), cfg.Progress)
	if err != nil {
		return nil, err
	}
	cfg.Progress.Phase("boundaries", 0) // no rows counted: a spinner
	var readErr error
	held := tableBytes(keys)
	bounds, err := splitter.OrderBoundaries(ctx, keys.batches(&readErr), p.rows, sizes, cfg.Workers, searchMemory(cfg.MemoryLimit, held))
	if err == nil {
		err = readErr
	}
	if err != nil {
		keys.close()
		return nil, searchError(err, fmt.Sprintf("--order-by %q", cfg.OrderBy), cfg.MemoryLimit, held, 1, len(sizes))
	}
	a := splitter.NewExactAssigner(bounds, len(sizes))
	op.release = keys.close
	op.place = func(rowKeys []uint64, start int64, ids []uint8) error {
		order, err := keys.read(start, len(rowKeys), nil)
		if err != nil {
			return err
		}
		a.Assign(order, start, ids)
		return nil
	}
	return op, nil
}

// checkOrder checks the options of a time-ordered job (OrderBy set, or
// Nulls), wrapping ErrUsage.
func (c SplitConfig) checkOrder() error {
	if c.OrderBy == "" {
		if c.Nulls != "" {
			return fmt.Errorf("%w: --nulls %s places nulls in the order of --order-by, which is not given", ErrUsage, c.Nulls)
		}
		return nil
	}
	if err := splitter.ValidateNulls(c.Nulls); err != nil {
		return err
	}
	if c.Nulls != "" && c.OrderBy == OrderByRow {
		return fmt.Errorf("%w: --nulls: --order-by row orders rows by index, which is never null", ErrUsage)
	}
	switch {
	case c.Approx:
		return fmt.Errorf("%w: --order-by makes exact splits in order; it does not go with --approx", ErrUsage)
	case c.Group != "":
		return fmt.Errorf("%w: --order-by and --group together are not supported yet", ErrUsage)
	case c.GroupByContent:
		return fmt.Errorf("%w: --order-by and --group-by-content together are not supported yet", ErrUsage)
	case c.Stratify != "":
		return fmt.Errorf("%w: --order-by and --stratify do not go together: the order alone decides each row's split", ErrUsage)
	case c.Compat != "":
		return fmt.Errorf("%w: --compat %s cannot express --order-by: the library draws its own permutation", ErrUsage, c.Compat)
	case c.IndexOnly && c.OrderBy != OrderByRow:
		return fmt.Errorf("%w: --order-by %s and --index-only do not go together (the column must be read); --order-by row does", ErrUsage, c.OrderBy)
	}
	return nil
}
