package pipeline

import (
	"context"
	"math/big"

	"github.com/parquet-go/parquet-go"
	"golang.org/x/sync/errgroup"

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
// alone where the source can) and returns every row's group key, kept in
// memory up to limit bytes (8 per row), else in a temporary file in dir;
// units are read on up to workers goroutines. The caller closes the table.
func readGroupKeys(ctx context.Context, p *plan, col int, seed *big.Int, workers int, limit int64, dir string, progress Progress) (*rowTable[uint64], error) {
	keys, err := newRowTable[uint64](p.rows, limit, dir)
	if err != nil {
		return nil, err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for _, u := range p.units {
		g.Go(func() error {
			h := splitter.NewGroupHasher(seed)
			out := make([]uint64, u.rows)
			err := readCanonical(gctx, p, u, col, func(k int, canonical []byte) { out[k] = h.Key(canonical) })
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
	return keys, nil
}

// rowBalancedAssigner builds the assigner of group keys of a grouped split
// balanced by rows (docs/algorithm.md section 14): a first pass reads the
// group column and keeps every row's group key (in memory up to limit
// bytes, else in a temporary file in dir), the thresholds come from a radix
// select over them, and the rows in no split are counted.
func rowBalancedAssigner(ctx context.Context, splits []splitter.Split, p *plan, col int, seed *big.Int, workers int, limit int64, dir string, progress Progress) (keyAssigner, int64, error) {
	progress.Phase("groups", p.rows)
	keys, err := readGroupKeys(ctx, p, col, seed, workers, limit, dir, progress)
	if err != nil {
		return nil, 0, err
	}
	defer keys.close()
	progress.Phase("boundaries", 0) // no rows counted: a spinner
	var readErr error
	upper, err := splitter.RowBalancedThresholds(ctx, keys.batches(&readErr), p.rows, splits, workers)
	if err == nil {
		err = readErr
	}
	if err != nil {
		return nil, 0, err
	}
	a := splitter.NewThresholdAssigner(upper)
	var unassigned int64
	ids := make([]uint8, 1<<16)
	for start, batch := range keys.batches(&readErr) {
		a.Assign(batch, start, ids[:len(batch)])
		for _, id := range ids[:len(batch)] {
			if int(id) >= len(splits) {
				unassigned++
			}
		}
	}
	if readErr != nil {
		return nil, 0, readErr
	}
	return a, unassigned, nil
}
