package pipeline

import (
	"context"
	"fmt"
	"iter"
	"runtime"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/splitter"
)

// StreamConfig describes a split of a stream of Arrow records
// ([SplitStream]). Its fields mean what they mean in [SplitConfig]; the zero
// value of each is the same default.
type StreamConfig struct {
	// Seed is the master seed ([prng.Seed]); it is required (there is no
	// manifest to record a drawn one in).
	Seed prng.Seed `json:"seed"`
	// Splits lists the splits in order with their ratios or sizes. Empty
	// means train=0.8,test=0.2 ([DefaultSplits]).
	Splits []splitter.Split `json:"splits"`
	// Approx assigns rows independently by key thresholds: no count is
	// needed, sizes are only approximately proportional.
	Approx bool `json:"approx"`
	// Group names a top-level column whose equal values land in the same
	// split, as [SplitConfig.Group] (ratios only; each group goes by its
	// key, so no count is needed), or several separated by commas, whose
	// values together make the group. Each column must be of a boolean,
	// signed integer (or uint8, uint16), date32, string or binary type.
	Group string `json:"group,omitempty"`
	// Rows is the number of rows the stream holds, which exact splits
	// need (their sizes are exact over the whole stream). A stream that
	// turns out longer or shorter is an error. With Approx or Group it may
	// be 0 (unknown); if set, it is checked too.
	Rows int64 `json:"rows"`
	// Workers bounds the goroutines that find exact split boundaries
	// before the first row is read; 0 means the number of CPUs. It never
	// changes a row's split.
	Workers int `json:"-"`
	// Allocator allocates the records yielded; nil means a Go allocator.
	Allocator memory.Allocator `json:"-"`
}

// withDefaults returns c with zero fields replaced by their defaults.
func (c StreamConfig) withDefaults() StreamConfig {
	if len(c.Splits) == 0 {
		c.Splits = DefaultSplits()
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.Allocator == nil {
		c.Allocator = memory.NewGoAllocator()
	}
	return c
}

// Validate reports the first problem with the configuration, wrapping
// [ErrUsage].
func (c StreamConfig) Validate() error {
	c = c.withDefaults()
	switch {
	case c.Seed == "":
		return fmt.Errorf("%w: a stream split needs a seed", ErrUsage)
	case c.Rows < 0:
		return fmt.Errorf("%w: stream of %d rows: want 0 or more", ErrUsage, c.Rows)
	case c.Workers < 0 || c.Workers > MaxWorkers:
		return fmt.Errorf("%w: workers %d: want 1 to %d", ErrUsage, c.Workers, MaxWorkers)
	case len(c.Splits) > splitter.MaxSplits:
		return fmt.Errorf("%w: at most %d splits, got %d", ErrUsage, splitter.MaxSplits, len(c.Splits))
	}
	if err := c.Seed.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if err := splitter.ValidateSplits(c.Splits); err != nil {
		return err
	}
	for _, s := range c.Splits {
		switch {
		case s.Rows != 0 && c.Group != "":
			return fmt.Errorf("%w: grouped splits take ratios, not row counts (split %q)", ErrUsage, s.Name)
		case s.Rows != 0 && c.Approx:
			return fmt.Errorf("%w: approximate splits take ratios, not sizes (split %q)", ErrUsage, s.Name)
		}
	}
	return nil
}

// counted reports whether the config needs the stream's row count.
func (c StreamConfig) counted() bool { return !c.Approx && c.Group == "" }

// SplitBatch is one piece of a stream split: rows of one input record that
// go to one split, in input order.
type SplitBatch struct {
	// Split is the index of the split in the config's list, Name its name.
	Split int
	Name  string
	// Record holds the rows. It is borrowed: it is released when the loop
	// goes on, so Retain it to keep it longer.
	Record arrow.RecordBatch
}

// SplitStream splits the rows read from r as [Split] splits the same rows
// in files: row i of the stream is the row of global index i, its key the
// i-th output of numpy.random.PCG64(cfg.Seed), and it goes to the split
// docs/algorithm.md gives it. For each record read, it yields the rows of
// each split that has some, in split order, each as one [SplitBatch]; the
// batches of one split, in the order yielded, are that split's rows in
// input order, so writing them gives the bytes Split writes for the same
// rows with the same options.
//
// Exact sizes need cfg.Rows, the stream's row count; with cfg.Approx no
// count is needed. Rows in no split (counts summing to less than the rows)
// are dropped. Memory is one input record, its keys (9 bytes a row) and the
// batches being yielded, whatever the stream's length. SplitStream reads r
// only while the loop runs and does not release it. After an error the
// sequence ends; a config error is yielded before anything is read.
func SplitStream(ctx context.Context, r array.RecordReader, cfg StreamConfig) iter.Seq2[SplitBatch, error] {
	return func(yield func(SplitBatch, error) bool) {
		if err := cfg.Validate(); err != nil {
			yield(SplitBatch{}, err)
			return
		}
		cfg = cfg.withDefaults()
		seed, err := cfg.Seed.Int()
		if err != nil {
			yield(SplitBatch{}, fmt.Errorf("%w: %w", ErrUsage, err))
			return
		}
		master, err := masterGenerator(seed, 0)
		if err != nil {
			yield(SplitBatch{}, err)
			return
		}
		gen := *master
		assigner, _, err := splitter.NewAssigner(ctx, &gen, cfg.Splits, cfg.Rows, !cfg.counted(), cfg.Workers)
		if err != nil {
			yield(SplitBatch{}, err)
			return
		}
		var group *streamGroup
		if cfg.Group != "" {
			if group, err = newStreamGroup(r.Schema(), cfg.Group, seed); err != nil {
				yield(SplitBatch{}, err)
				return
			}
		}
		gen = *master
		var ids []uint8
		for rec, start := range streamKeys(ctx, r, &gen, cfg.Rows, cfg.counted() || cfg.Rows > 0, yield) {
			ids = slices.Grow(ids[:0], len(rec.keys))[:len(rec.keys)]
			keys := rec.keys
			if group != nil {
				group.keys(rec.rec, keys)
			}
			assigner.Assign(keys, start, ids)
			for j, s := range cfg.Splits {
				out, err := pickRows(cfg.Allocator, rec.rec, ids, uint8(j))
				if err != nil {
					yield(SplitBatch{}, fmt.Errorf("split %s: %w", s.Name, err))
					return
				}
				if out == nil {
					continue
				}
				more := yield(SplitBatch{Split: j, Name: s.Name, Record: out}, nil)
				out.Release()
				if !more {
					return
				}
			}
		}
	}
}

// keyedRecord is a record read from a stream and the keys of its rows.
type keyedRecord struct {
	rec  arrow.RecordBatch
	keys []uint64
}

// streamKeys reads r and yields each non-empty record with its rows' keys,
// drawn from gen, and the global index of its first row. With checkRows,
// a stream longer or shorter than rows is an error. Errors go to yield
// (that of the caller's sequence), after which the sequence ends. The
// record and the keys are valid until the loop goes on.
func streamKeys[T any](ctx context.Context, r array.RecordReader, gen *prng.PCG64, rows int64, checkRows bool, yield func(T, error) bool) iter.Seq2[keyedRecord, int64] {
	return func(body func(keyedRecord, int64) bool) {
		var zero T
		var start int64
		var keys []uint64
		for r.Next() {
			if err := ctx.Err(); err != nil {
				yield(zero, err)
				return
			}
			rec := r.RecordBatch()
			n := rec.NumRows()
			if n == 0 {
				continue
			}
			if checkRows && start+n > rows {
				yield(zero, fmt.Errorf("%w: the stream holds more than the %d rows the config gives", ErrUsage, rows))
				return
			}
			if int64(cap(keys)) < n {
				keys = make([]uint64, n)
			}
			keys = keys[:n]
			gen.Fill(keys)
			if !body(keyedRecord{rec, keys}, start) {
				return
			}
			start += n
		}
		if err := r.Err(); err != nil {
			yield(zero, fmt.Errorf("read record stream: %w", err))
			return
		}
		if err := ctx.Err(); err != nil {
			yield(zero, err)
			return
		}
		if checkRows && start != rows {
			yield(zero, fmt.Errorf("%w: the stream holds %d rows, the config gives %d", ErrUsage, start, rows))
		}
	}
}

// pickRows returns a new record of the rows of rec whose id is j, in
// order, or nil if there are none.
func pickRows(mem memory.Allocator, rec arrow.RecordBatch, ids []uint8, j uint8) (arrow.RecordBatch, error) {
	var rows []rowRef
	for k, id := range ids {
		if id == j {
			rows = append(rows, rowRef{0, int64(k)})
		}
	}
	switch len(rows) {
	case 0:
		return nil, nil
	case len(ids):
		rec.Retain()
		return rec, nil
	}
	return gather(mem, rec.Schema(), []arrow.RecordBatch{rec}, rows)
}

// SampleStream yields a uniform sample of k rows of the stream read from r,
// without replacement, as [Sample] draws it from files of the same rows:
// the first k rows of canonical order, yielded in input order, one record
// per input record that has some. cfg.Rows, the stream's row count, is
// required and k must be 1 to cfg.Rows; cfg.Splits and cfg.Approx must be
// unset. Records are borrowed, as for [SplitStream].
func SampleStream(ctx context.Context, r array.RecordReader, cfg StreamConfig, k int64) iter.Seq2[arrow.RecordBatch, error] {
	return func(yield func(arrow.RecordBatch, error) bool) {
		switch {
		case len(cfg.Splits) != 0 || cfg.Approx:
			yield(nil, fmt.Errorf("%w: a sample stream takes no splits and is exact", ErrUsage))
			return
		case k < 1 || k > cfg.Rows:
			yield(nil, fmt.Errorf("%w: a sample of %d rows from a stream of %d rows: want 1 to %d", ErrUsage, k, cfg.Rows, cfg.Rows))
			return
		}
		cfg.Splits = []splitter.Split{{Name: SampleName, Rows: k}}
		for b, err := range SplitStream(ctx, r, cfg) {
			if !yield(b.Record, err) || err != nil {
				return
			}
		}
	}
}

// KeyedBatch is a record of a stream with the shuffle keys of its rows
// ([ShuffleKeys]).
type KeyedBatch struct {
	// Start is the global row index of the record's first row.
	Start int64
	// Keys holds the key of each row of Record.
	Keys []uint64
	// Record holds the rows. Record and Keys are borrowed: they are
	// released or reused when the loop goes on.
	Record arrow.RecordBatch
}

// ShuffleKeys yields each non-empty record read from r with the keys
// [Shuffle] gives its rows: row i of the stream has the i-th output of
// numpy.random.PCG64(seed).jumped(epoch). Ordering the rows by ascending
// (key, global row index) gives the order Shuffle writes; ShuffleKeys only
// draws the keys, in constant memory, and leaves the ordering (in memory,
// or by an external sort) to the caller. It does not release r.
func ShuffleKeys(ctx context.Context, r array.RecordReader, seed prng.Seed, epoch uint64) iter.Seq2[KeyedBatch, error] {
	return func(yield func(KeyedBatch, error) bool) {
		v, err := seed.Int()
		if err != nil {
			yield(KeyedBatch{}, fmt.Errorf("%w: %w", ErrUsage, err))
			return
		}
		gen, err := masterGenerator(v, epoch)
		if err != nil {
			yield(KeyedBatch{}, err)
			return
		}
		for rec, start := range streamKeys(ctx, r, gen, 0, false, yield) {
			if !yield(KeyedBatch{Start: start, Keys: rec.keys, Record: rec.rec}, nil) {
				return
			}
		}
	}
}
