package pipeline

import (
	"context"
	"fmt"
	"math/big"

	"github.com/parquet-go/parquet-go"
	"golang.org/x/sync/errgroup"

	"github.com/splitdata/splitdata/sources"
	"github.com/splitdata/splitdata/splitter"
)

// groupColumn finds the leaf column a grouped split groups by: a top-level
// or nested field that is not repeated, of a boolean, integer or byte-array
// (string, binary) physical type. Errors wrap ErrUsage.
func groupColumn(schema *parquet.Schema, name string) (int, error) {
	return columnFor(schema, "--group", name)
}

// groupBytes appends the canonical bytes of a row's value in column col to
// b (see canonicalBytes). They are what docs/algorithm.md hashes.
func groupBytes(b []byte, row parquet.Row, col int) []byte {
	return canonicalBytes(b, columnValue(row, col))
}

// readGroupKeys reads column col of every unit of the plan (the column
// alone where the source can) and returns every row's group key, 8 bytes
// per row, on up to workers goroutines.
func readGroupKeys(ctx context.Context, p *plan, col int, seed *big.Int, workers int, progress Progress) ([]uint64, error) {
	keys := make([]uint64, p.rows)
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for _, u := range p.units {
		g.Go(func() error {
			h := splitter.NewGroupHasher(seed)
			out := keys[u.start : u.start+u.rows]
			k := 0
			var buf []byte
			add := func(v parquet.Value) error {
				if k == len(out) {
					return fmt.Errorf("%s: row group %d: more values than rows", p.paths[u.input], u.rg)
				}
				buf = canonicalBytes(buf[:0], v)
				out[k] = h.Key(buf)
				k++
				return nil
			}
			var err error
			if cr, ok := p.inputs[u.input].(sources.ColumnReader); ok {
				err = cr.ReadColumn(ctx, u.rg, col, readBatch, func(values []parquet.Value) error {
					for _, v := range values {
						if err := add(v); err != nil {
							return err
						}
					}
					return nil
				})
			} else {
				err = p.inputs[u.input].ReadUnit(ctx, u.rg, readBatch, func(rows []parquet.Row) error {
					for _, row := range rows {
						if err := add(columnValue(row, col)); err != nil {
							return err
						}
					}
					return nil
				})
			}
			if err == nil && k != len(out) {
				err = fmt.Errorf("%s: row group %d: %d values for %d rows", p.paths[u.input], u.rg, k, len(out))
			}
			progress.Add(u.rows)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return keys, nil
}

// rowBalancedAssigner builds the assigner of group keys of a grouped split
// balanced by rows (docs/algorithm.md section 14): a first pass reads the
// group column, the thresholds come from a radix select over the rows'
// group keys, and the rows in no split are counted.
func rowBalancedAssigner(ctx context.Context, splits []splitter.Split, p *plan, col int, seed *big.Int, workers int, progress Progress) (keyAssigner, int64, error) {
	progress.Phase("groups", p.rows)
	keys, err := readGroupKeys(ctx, p, col, seed, workers, progress)
	if err != nil {
		return nil, 0, err
	}
	batches := func(yield func(start int64, keys []uint64) bool) {
		const step = 1 << 16
		for start := 0; start < len(keys); start += step {
			if !yield(int64(start), keys[start:min(start+step, len(keys))]) {
				return
			}
		}
	}
	progress.Phase("boundaries", p.rows)
	upper, err := splitter.RowBalancedThresholds(ctx, batches, p.rows, splits, workers)
	if err != nil {
		return nil, 0, err
	}
	a := splitter.NewThresholdAssigner(upper)
	var unassigned int64
	ids := make([]uint8, 1<<16)
	for start := 0; start < len(keys); start += len(ids) {
		batch := keys[start:min(start+len(ids), len(keys))]
		a.Assign(batch, int64(start), ids[:len(batch)])
		for _, id := range ids[:len(batch)] {
			if int(id) >= len(splits) {
				unassigned++
			}
		}
	}
	return a, unassigned, nil
}
