package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/splitter"
)

// RecordsConfig describes a split of in-memory Arrow record batches. It
// mirrors [SplitConfig] without the files: the same seed and split list
// give the same membership as [Split] over the same rows.
type RecordsConfig struct {
	// Seed is the master seed, as for [SplitConfig]; it is required (there
	// is no manifest to record a drawn one in).
	Seed prng.Seed `json:"seed"`
	// Splits lists the splits, as for [SplitConfig]. Empty means
	// train=0.8,test=0.2 ([DefaultSplits]).
	Splits []splitter.Split `json:"splits"`
	// Approx assigns each row independently by its key (see [SplitConfig]).
	Approx bool `json:"approx"`
	// Shuffle puts each split's rows in canonical order (by key, then
	// global row index) instead of input order.
	Shuffle bool `json:"shuffle"`
	// Workers bounds the goroutines finding exact split boundaries; 0
	// means the number of CPUs, as for [SplitConfig]. It never changes a
	// row's split.
	Workers int `json:"-"`
	// Allocator allocates the output records; nil means a Go allocator.
	Allocator memory.Allocator `json:"-"`
}

// withDefaults returns c with zero fields replaced by their defaults.
func (c RecordsConfig) withDefaults() RecordsConfig {
	s := StreamConfig{Seed: c.Seed, Splits: c.Splits, Approx: c.Approx, Workers: c.Workers, Allocator: c.Allocator}.withDefaults()
	c.Splits, c.Workers, c.Allocator = s.Splits, s.Workers, s.Allocator
	return c
}

// Validate reports the first problem with the configuration, wrapping
// [ErrUsage]. The checks are those of [StreamConfig.Validate], except that
// Shuffle is allowed: the records are all in memory.
func (c RecordsConfig) Validate() error {
	if c.Seed == "" {
		return fmt.Errorf("%w: records split needs a seed", ErrUsage)
	}
	return StreamConfig{Seed: c.Seed, Splits: c.Splits, Approx: c.Approx, Workers: c.Workers}.Validate()
}

// RecordSplit is one split of [SplitRecords]: its name and its rows as one
// record batch, which the caller owns and must Release.
type RecordSplit struct {
	Name   string
	Record arrow.RecordBatch
}

// SplitRecords assigns the rows of recs to the splits of cfg exactly as
// [Split] assigns the rows of files (docs/algorithm.md): the global row
// index of a row is its position across recs in order, its key the
// matching output of numpy.random.PCG64(cfg.Seed). It returns one record
// batch per split, in cfg.Splits order, holding the split's rows in input
// order, or in canonical order with cfg.Shuffle.
//
// Every record must have the same schema. recs are only read: the caller
// still owns and releases them. The outputs are new records, owned by the
// caller, who must Release each. Memory is recs plus the outputs, plus 9
// bytes per row for keys and split ids (and 24 per row of a split being
// built with Shuffle) while splitting. Shuffled outputs are built from one
// slice per row, so they take longer to build than input-order ones.
func SplitRecords(ctx context.Context, recs []arrow.RecordBatch, cfg RecordsConfig) ([]RecordSplit, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	seed, err := cfg.Seed.Int()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%w: no records to split", ErrUsage)
	}
	schema := recs[0].Schema()
	var n int64
	for i, r := range recs {
		if !r.Schema().Equal(schema) {
			return nil, fmt.Errorf("%w: record %d has schema %s, record 0 %s", ErrUsage, i, r.Schema(), schema)
		}
		n += r.NumRows()
	}
	master, err := masterGenerator(seed, 0)
	if err != nil {
		return nil, err
	}
	gen := *master
	assigner, _, err := splitter.NewAssigner(ctx, &gen, cfg.Splits, n, cfg.Approx, cfg.Workers)
	if err != nil {
		return nil, err
	}

	// Keys and split ids of every row, record by record.
	keys := make([][]uint64, len(recs))
	ids := make([][]uint8, len(recs))
	gen = *master
	var start int64
	for i, r := range recs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		keys[i] = make([]uint64, r.NumRows())
		ids[i] = make([]uint8, r.NumRows())
		gen.Fill(keys[i])
		assigner.Assign(keys[i], start, ids[i])
		start += r.NumRows()
	}

	mem := cfg.Allocator
	out := make([]RecordSplit, 0, len(cfg.Splits))
	release := func() {
		for _, s := range out {
			s.Record.Release()
		}
	}
	for j, s := range cfg.Splits {
		if err := ctx.Err(); err != nil {
			release()
			return nil, err
		}
		rows := selectRows(recs, keys, ids, uint8(j), cfg.Shuffle)
		rec, err := gather(mem, schema, recs, rows)
		if err != nil {
			release()
			return nil, fmt.Errorf("split %s: %w", s.Name, err)
		}
		out = append(out, RecordSplit{Name: s.Name, Record: rec})
	}
	return out, nil
}

// SampleRecords returns a uniform sample of k rows of recs without
// replacement, as [Sample] draws it: the first k rows of canonical order,
// in input order. 1 <= k <= the number of rows. The record returned is the
// caller's to Release; recs stay the caller's.
func SampleRecords(ctx context.Context, recs []arrow.RecordBatch, seed prng.Seed, k int64) (arrow.RecordBatch, error) {
	if k < 1 {
		return nil, fmt.Errorf("%w: sample of %d rows, want at least 1", ErrUsage, k)
	}
	s, err := SplitRecords(ctx, recs, RecordsConfig{Seed: seed, Splits: []splitter.Split{{Name: SampleName, Rows: k}}})
	if err != nil {
		return nil, err
	}
	return s[0].Record, nil
}

// rowRef is a row of recs: its record and its row within it.
type rowRef struct {
	rec int
	row int64
}

// selectRows lists the rows with split id j, in input order or, with
// shuffle, in canonical order.
func selectRows(recs []arrow.RecordBatch, keys [][]uint64, ids [][]uint8, j uint8, shuffle bool) []rowRef {
	type keyed struct {
		key uint64
		i   int64
		ref rowRef
	}
	var rows []rowRef
	var sorted []keyed
	var start int64
	for r := range recs {
		for k, id := range ids[r] {
			if id != j {
				continue
			}
			ref := rowRef{r, int64(k)}
			if shuffle {
				sorted = append(sorted, keyed{keys[r][k], start + int64(k), ref})
			} else {
				rows = append(rows, ref)
			}
		}
		start += recs[r].NumRows()
	}
	if !shuffle {
		return rows
	}
	slices.SortFunc(sorted, func(a, b keyed) int {
		return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.i, b.i))
	})
	rows = make([]rowRef, len(sorted))
	for i, s := range sorted {
		rows[i] = s.ref
	}
	return rows
}

// gather builds one record of the rows listed. Runs of consecutive rows of
// a record are sliced and concatenated; when the rows are scattered (a
// shuffle), columns of flat types are built row by row instead (see
// takeColumn).
func gather(mem memory.Allocator, schema *arrow.Schema, recs []arrow.RecordBatch, rows []rowRef) (arrow.RecordBatch, error) {
	var parts []arrow.RecordBatch
	defer func() {
		for _, p := range parts {
			p.Release()
		}
	}()
	runs := 0
	for i := range rows {
		if i == 0 || rows[i].rec != rows[i-1].rec || rows[i].row != rows[i-1].row+1 {
			runs++
		}
	}
	scattered := runs > len(rows)/4
	slicesOf := func() []arrow.RecordBatch {
		if parts != nil {
			return parts
		}
		for i := 0; i < len(rows); {
			k := i + 1
			for k < len(rows) && rows[k].rec == rows[i].rec && rows[k].row == rows[k-1].row+1 {
				k++
			}
			parts = append(parts, recs[rows[i].rec].NewSlice(rows[i].row, rows[k-1].row+1))
			i = k
		}
		if len(parts) == 0 {
			parts = append(parts, recs[0].NewSlice(0, 0))
		}
		return parts
	}
	cols := make([]arrow.Array, schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for c := range cols {
		if scattered {
			in := make([]arrow.Array, len(recs))
			for r, rec := range recs {
				in[r] = rec.Column(c)
			}
			if col, ok := takeColumn(mem, schema.Field(c).Type, in, rows); ok {
				cols[c] = col
				continue
			}
		}
		ps := slicesOf()
		arrs := make([]arrow.Array, len(ps))
		for p, part := range ps {
			arrs[p] = part.Column(c)
		}
		col, err := array.Concatenate(arrs, mem)
		if err != nil {
			return nil, fmt.Errorf("concatenate column %q: %w", schema.Field(c).Name, err)
		}
		cols[c] = col
	}
	rec := array.NewRecordBatch(schema, cols, int64(len(rows)))
	if rec.NumRows() != int64(len(rows)) {
		rec.Release()
		return nil, errors.New("internal error: gathered record has the wrong length")
	}
	return rec, nil
}
