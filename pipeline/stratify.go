package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
	"golang.org/x/sync/errgroup"

	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/sources"
	"github.com/splitdata/splitdata/splitter"
)

// Stratified jobs (docs/algorithm.md sections 12 and 13). A first pass
// reads only the stratify column (Parquet inputs read that column's chunks
// alone) and numbers every row's class: classes in ascending order of their
// canonical bytes (those of grouped splits: null first). The class ids are
// kept, 4 bytes per row, for the boundary search and the main pass, which
// then assigns every row from its class, key and index.

// classTable is the class of every row of a stratified job.
type classTable struct {
	ids    []uint32 // per global row
	counts []int64  // per class
}

// batches streams the class ids, as splitter.StratifiedBoundaries reads them.
func (ct *classTable) batches(yield func(start int64, classes []uint32) bool) {
	const step = 1 << 16
	for start := 0; start < len(ct.ids); start += step {
		if !yield(int64(start), ct.ids[start:min(start+step, len(ct.ids))]) {
			return
		}
	}
}

// columnFor returns the leaf column of a --group or --stratify column: a
// non-repeated boolean, integer or string column.
func columnFor(schema *parquet.Schema, flag, name string) (int, error) {
	leaf, ok := schema.Lookup(strings.Split(name, ".")...)
	if !ok {
		return 0, fmt.Errorf("%w: %s %q: no such column", ErrUsage, flag, name)
	}
	if leaf.MaxRepetitionLevel > 0 {
		return 0, fmt.Errorf("%w: %s %q: a repeated column cannot %s rows", ErrUsage, flag, name, strings.TrimPrefix(flag, "--"))
	}
	switch leaf.Node.Type().Kind() {
	case parquet.Boolean, parquet.Int32, parquet.Int64, parquet.ByteArray:
		return leaf.ColumnIndex, nil
	}
	return 0, fmt.Errorf("%w: %s %q: unsupported column type %s (want a boolean, integer or string column)", ErrUsage, flag, name, leaf.Node.Type())
}

// readClasses reads column col of every unit of the plan and returns each
// row's class. Units are read on up to workers goroutines; class numbers
// depend only on the values.
func readClasses(ctx context.Context, p *plan, col, workers int, progress Progress) (*classTable, error) {
	ct := &classTable{ids: make([]uint32, p.rows)}
	local := make([][]string, len(p.units)) // per unit, its classes in order of first appearance
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for ui, u := range p.units {
		g.Go(func() error {
			seen := map[string]uint32{}
			var names []string
			ids := ct.ids[u.start : u.start+u.rows]
			k := 0
			var buf []byte
			add := func(v parquet.Value) {
				buf = canonicalBytes(buf[:0], v)
				id, ok := seen[string(buf)]
				if !ok {
					id = uint32(len(names))
					seen[string(buf)] = id
					names = append(names, string(buf))
				}
				ids[k] = id
				k++
			}
			var err error
			if cr, ok := p.inputs[u.input].(sources.ColumnReader); ok {
				err = cr.ReadColumn(ctx, u.rg, col, readBatch, func(values []parquet.Value) error {
					if k+len(values) > len(ids) {
						return fmt.Errorf("%s: row group %d: more values than rows", p.paths[u.input], u.rg)
					}
					for _, v := range values {
						add(v)
					}
					return nil
				})
			} else {
				err = p.inputs[u.input].ReadUnit(ctx, u.rg, readBatch, func(rows []parquet.Row) error {
					for _, row := range rows {
						add(columnValue(row, col))
					}
					return nil
				})
			}
			if err != nil {
				return err
			}
			if k != len(ids) {
				return fmt.Errorf("%s: row group %d: %d values for %d rows", p.paths[u.input], u.rg, k, len(ids))
			}
			local[ui] = names
			progress.Add(u.rows)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var all []string
	for _, names := range local {
		all = append(all, names...)
	}
	slices.Sort(all)
	all = slices.Compact(all)
	ct.counts = make([]int64, len(all))
	g, _ = errgroup.WithContext(context.Background())
	g.SetLimit(workers)
	counts := make([][]int64, len(p.units))
	for ui, u := range p.units {
		g.Go(func() error {
			global := make([]uint32, len(local[ui]))
			for l, name := range local[ui] {
				c, _ := slices.BinarySearch(all, name)
				global[l] = uint32(c)
			}
			cnt := make([]int64, len(all))
			ids := ct.ids[u.start : u.start+u.rows]
			for k, l := range ids {
				ids[k] = global[l]
				cnt[ids[k]]++
			}
			counts[ui] = cnt
			return nil
		})
	}
	_ = g.Wait()
	for _, cnt := range counts {
		for c, x := range cnt {
			ct.counts[c] += x
		}
	}
	return ct, nil
}

// columnValue returns row's value of leaf column col (a non-repeated leaf).
func columnValue(row parquet.Row, col int) parquet.Value {
	for _, v := range row {
		if v.Column() == col {
			return v
		}
	}
	return parquet.NullValue()
}

// stratifiedPlacer builds the assignment of a stratified job over the
// plan's rows: per-class sizes for the command (kfold: KFold's fold sizes;
// split and sample: the exact sizes of the split list), per-class
// boundaries, and a place function reading each row's class. It returns
// the rows in no split too.
func stratifiedPlacer(ctx context.Context, command string, splits []splitter.Split, p *plan, column string, master *prng.PCG64, workers int, progress Progress) (func(keys []uint64, start int64, ids []uint8), int64, error) {
	col, err := columnFor(p.schema, "--stratify", column)
	if err != nil {
		return nil, 0, err
	}
	progress.Phase("classes", p.rows)
	ct, err := readClasses(ctx, p, col, workers, progress)
	if err != nil {
		return nil, 0, err
	}
	var sizes [][]int64
	if command == "kfold" {
		sizes, err = splitter.StratifiedKFoldSizes(ct.counts, len(splits))
	} else {
		sizes, err = splitter.StratifiedSizes(ct.counts, splits)
	}
	if err != nil {
		return nil, 0, err
	}
	unassigned := p.rows
	for _, row := range sizes {
		for _, x := range row {
			unassigned -= x
		}
	}
	if len(sizes) == 0 { // no rows, no classes
		return func(keys []uint64, start int64, ids []uint8) {}, 0, nil
	}
	progress.Phase("boundaries", p.rows)
	bounds, err := splitter.StratifiedBoundaries(ctx, master, ct.batches, p.rows, sizes, workers)
	if err != nil {
		return nil, 0, err
	}
	a := splitter.NewStratifiedAssigner(bounds, len(splits))
	return func(keys []uint64, start int64, ids []uint8) {
		a.Assign(ct.ids[start:start+int64(len(keys))], keys, start, ids)
	}, unassigned, nil
}

// canonicalBytes appends the canonical bytes of a group or class value to b:
// 0x00 for null; else 0x01 followed by the value's text: an integer in
// decimal, a boolean as "true" or "false", a string or binary as its bytes.
// They are what docs/algorithm.md hashes (groups) and sorts (classes).
func canonicalBytes(b []byte, v parquet.Value) []byte {
	if v.IsNull() {
		return append(b, 0)
	}
	b = append(b, 1)
	switch v.Kind() {
	case parquet.Boolean:
		return strconv.AppendBool(b, v.Boolean())
	case parquet.Int32:
		return strconv.AppendInt(b, int64(v.Int32()), 10)
	case parquet.Int64:
		return strconv.AppendInt(b, v.Int64(), 10)
	default:
		return append(b, v.ByteArray()...)
	}
}
