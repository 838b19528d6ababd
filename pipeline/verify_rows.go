package pipeline

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"math/big"
	"path/filepath"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/scratch"
	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/sinks"
	"github.com/splitdata/splitdata/splitter"
)

// maxRowProblems bounds the row differences a verification reports.
const maxRowProblems = 10

// verifyRows recomputes the assignment of manifest m from the inputs and
// checks that every row is where the specification puts it: each input row
// of split s (or, for --index-only, its global index) is the next row of s's
// output files (input order), or, for a --shuffle output, the splits hold
// the same multiset of rows (the order itself is not rechecked). It appends differences to r.Problems.
func verifyRows(ctx context.Context, d outputFiles, m *Manifest, inputs []string, more []Input, memory int64, r *VerifyReport) error {
	problem := func(format string, args ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, args...)) }
	if m.Options.Format == sinks.FormatCSV || m.Options.Format == sinks.FormatJSONL {
		// Text does not keep the column types, so rows read back cannot
		// be compared with the input's.
		return fmt.Errorf("%w: verify --input checks rows of Parquet and Arrow outputs; this %s output was checked by its hashes and row counts only", ErrUsage, m.Options.Format)
	}
	if m.Options.Repeats > 1 {
		return verifyRepeats(ctx, d, m, inputs, more, memory, r) // verify_order.go
	}
	plan, err := openJobInputs(inputs, more, m.Options.inputOptions())
	if err != nil {
		return err
	}
	defer plan.close()
	infos := plan.infos()
	if len(infos) != len(m.Inputs) {
		problem("inputs: %d given, the manifest lists %d", len(infos), len(m.Inputs))
		return nil
	}
	for i, in := range infos {
		want := m.Inputs[i]
		if in.Rows != want.Rows || in.Size != want.Size {
			problem("input %d (%s): %d rows and %d bytes, the manifest has %s with %d rows and %d bytes",
				i, in.Path, in.Rows, in.Size, want.Path, want.Rows, want.Size)
		}
	}
	if len(r.Problems) > 0 {
		return nil
	}

	seed, ok := new(big.Int).SetString(m.Seed, 10)
	if !ok {
		return fmt.Errorf("%w: seed %q is not a decimal integer", ErrBadManifest, m.Seed)
	}
	master, err := masterGenerator(seed, m.Options.Epoch)
	if err != nil {
		return fmt.Errorf("%w: seed: %w", ErrBadManifest, err)
	}
	var place placeFunc
	var repeat func(int64) int
	var release func()
	var orderFanout [][]int // time-series folds
	if m.Options.OrderBy != "" {
		place, orderFanout, release, err = verifyOrderPlacer(ctx, m, plan, memory)
	} else {
		place, repeat, release, err = verifyPlacer(ctx, m, master, plan, memory)
	}
	if err != nil {
		return err
	}
	if release != nil {
		defer release()
	}
	unordered := m.Options.Shuffle || m.Options.Compat != ""
	var fanout [][]int
	if m.Options.Materialize {
		_, fanout = materializedFolds(splitNames(m.Options.Splits))
	}
	if orderFanout != nil {
		fanout = orderFanout
	}
	var one [1]int

	outs := make([]*splitRows, len(m.Splits))
	for s, info := range m.Splits {
		outs[s] = newSplitRows(ctx, d, m.Options, info)
		defer outs[s].stop()
	}
	seedHash := maphash.MakeSeed()
	indexColumn := len(plan.schema.Columns()) // where an added row index sits
	inSums := make([]uint64, len(m.Splits))
	outSums := make([]uint64, len(m.Splits))
	keys := make([]uint64, readBatch)
	ids := make([]uint8, readBatch)
	group, grouped, err := manifestGroup(plan.schema, m.Options)
	if err != nil {
		return err
	}
	var groups *splitter.GroupHasher
	var canonical []byte
	if grouped {
		groups = splitter.NewGroupHasher(seed)
	}
	for _, u := range plan.units {
		gen := *master
		gen.Advance(uint64(u.start))
		next := u.start
		err := plan.inputs[u.input].ReadUnit(ctx, u.rg, readBatch, func(rows []parquet.Row) error {
			k := len(rows)
			gen.Fill(keys[:k])
			if groups != nil {
				for j, row := range rows {
					canonical = group.appendBytes(canonical[:0], row)
					keys[j] = groups.Key(canonical)
				}
			}
			if err := place(keys[:k], next, ids[:k]); err != nil {
				return err
			}
			for j, row := range rows {
				i := next + int64(j)
				targets := outputsOf(fanout, len(outs), int(ids[j]), one[:])
				if len(targets) == 0 {
					continue // in no split
				}
				switch {
				case m.Options.IndexOnly:
					row = parquet.Row{parquet.Int64Value(i).Level(0, 0, 0)}
				case m.Options.RowIndexColumn != "":
					row = append(row[:len(row):len(row)], parquet.Int64Value(i).Level(0, 0, indexColumn))
				}
				copies := 1
				if repeat != nil {
					copies = repeat(i)
				}
				for c := range copies * len(targets) {
					s := targets[c%len(targets)]
					got, err := outs[s].next()
					if err != nil {
						return err
					}
					if got == nil {
						problem("%s: ends before input row %d, which belongs to it", m.Splits[s].Name, i)
						return errTooManyProblems
					}
					if unordered {
						inSums[s] += rowHash(seedHash, row)
						outSums[s] += rowHash(seedHash, got)
					} else if !sameRow(row, got) {
						problem("%s: row %d differs from input row %d (%s), which belongs there",
							m.Splits[s].Name, outs[s].n-1, i, filepath.Base(plan.paths[u.input]))
						if len(r.Problems) >= maxRowProblems {
							return errTooManyProblems
						}
					}
				}
			}
			next += int64(k)
			return nil
		})
		if errors.Is(err, errTooManyProblems) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	for s, o := range outs {
		got, err := o.next()
		if err != nil {
			return err
		}
		if got != nil {
			problem("%s: holds rows beyond the %d the inputs assign to it", m.Splits[s].Name, o.n-1)
		}
		if inSums[s] != outSums[s] {
			problem("%s: does not hold the rows the inputs assign to it", m.Splits[s].Name)
		}
	}
	return checkTimeOrder(ctx, d, m, problem)
}

var errTooManyProblems = errors.New("too many problems")

// verifyPlacer rebuilds the assignment of the job of manifest m over the
// plan's rows: its stratified or compatibility placer, or its assigner.
func verifyPlacer(ctx context.Context, m *Manifest, master *prng.PCG64, p *plan, memory int64) (place placeFunc, repeat func(i int64) int, release func(), err error) {
	n := p.rows
	if m.Options.Replace {
		if len(m.Splits) != 1 {
			return nil, nil, nil, fmt.Errorf("%w: a bootstrap sample has one output", ErrBadManifest)
		}
		draws := bootstrap(splitter.Bootstrap(master, n, m.Splits[0].Rows))
		return draws.place, draws.count, nil, nil
	}
	if group, grouped, err := manifestGroup(p.schema, m.Options); err != nil || grouped && m.Options.RatioBy == RatioByRows {
		if err != nil {
			return nil, nil, nil, err
		}
		seed, _ := new(big.Int).SetString(m.Seed, 10)
		a, _, err := rowBalancedAssigner(ctx, m.Options.Splits, p, group, seed, SplitConfig{}.withDefaults().Workers, heapBudget(memory)/2, memory, scratch.Local(""), noProgress{})
		if err != nil {
			return nil, nil, nil, err
		}
		return assignPlace(a), nil, nil, nil
	}
	if m.Options.Stratify != "" && m.Options.Group != "" {
		return verifyStratGroups(ctx, m, p, memory) // verify_stratgroup.go
	}
	if m.Options.Stratify != "" {
		place, _, release, err := stratifiedPlacer(ctx, m.Command, m.Options.Splits, p, m.Options.Stratify, master, SplitConfig{}.withDefaults().Workers, heapBudget(memory)/2, memory, scratch.Local(""), noProgress{})
		return place, nil, release, err
	}
	if m.Options.Compat != "" {
		seed := m.SeedText
		if seed == "" {
			seed = m.Seed
		}
		order, err := compatOrder(m.Options.Compat, m.Command, m.Options.Splits, n, seed)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%w: %w", ErrBadManifest, err)
		}
		return newCompatPlacer(order).place, nil, nil, nil
	}
	cfg := SplitConfig{Splits: m.Options.Splits, Approx: m.Options.Approx}.withDefaults()
	assigner, _, err := newAssigner(ctx, cfg, master, n)
	if err != nil {
		return nil, nil, nil, err
	}
	return assignPlace(assigner), nil, nil, nil
}

// rowHash hashes a row's values with their levels and columns.
func rowHash(seed maphash.Seed, row parquet.Row) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	var b [16]byte
	for _, v := range row {
		b[0] = byte(v.Kind())
		b[1] = byte(v.RepetitionLevel())
		b[2] = byte(v.DefinitionLevel())
		b[3] = byte(v.Column())
		if v.IsNull() {
			b[4] = 1
		} else {
			b[4] = 0
		}
		h.Write(b[:5])
		h.Write(v.Bytes())
	}
	return h.Sum64()
}

// splitRows pulls the rows of one split's output files, in order. A
// goroutine reads the files and hands over batches of owned rows.
type splitRows struct {
	batches chan []parquet.Row
	errc    chan error
	cancel  context.CancelFunc
	batch   []parquet.Row
	n       int64 // rows handed out
}

func newSplitRows(ctx context.Context, d outputFiles, opts ManifestOptions, info SplitInfo) *splitRows {
	ctx, cancel := context.WithCancel(ctx)
	sr := &splitRows{batches: make(chan []parquet.Row, 2), errc: make(chan error, 1), cancel: cancel}
	go func() {
		defer close(sr.batches)
		for _, f := range info.Files {
			p, closeP, err := d.openSource(opts, f.Path)
			if err != nil {
				sr.errc <- err
				return
			}
			for rg := range p.NumUnits() {
				err = p.ReadUnit(ctx, rg, readBatch, func(rows []parquet.Row) error {
					owned := make([]parquet.Row, len(rows))
					for k, row := range rows {
						owned[k] = row.Clone()
					}
					select {
					case sr.batches <- owned:
						return nil
					case <-ctx.Done():
						return ctx.Err()
					}
				})
				if err != nil {
					break
				}
			}
			closeP()
			if err != nil {
				if ctx.Err() == nil {
					sr.errc <- err
				}
				return
			}
		}
	}()
	return sr
}

// next returns the split's next row, or nil after the last.
func (sr *splitRows) next() (parquet.Row, error) {
	for len(sr.batch) == 0 {
		b, ok := <-sr.batches
		if !ok {
			select {
			case err := <-sr.errc:
				return nil, err
			default:
				return nil, nil
			}
		}
		sr.batch = b
	}
	row := sr.batch[0]
	sr.batch = sr.batch[1:]
	sr.n++
	return row, nil
}

// stop ends the reading goroutine.
func (sr *splitRows) stop() {
	sr.cancel()
	for range sr.batches {
	}
}

// sameRow reports whether two rows hold the same values at the same
// levels, as parquet.Row.Equal does, but with floats compared by their
// bits: a NaN read back is the NaN that was written, where == says no.
func sameRow(a, b parquet.Row) bool {
	if len(a) != len(b) {
		return false
	}
	for i, x := range a {
		y := b[i]
		if x.RepetitionLevel() != y.RepetitionLevel() || x.DefinitionLevel() != y.DefinitionLevel() || x.Kind() != y.Kind() {
			return false
		}
		switch {
		case x.IsNull():
			// Kinds and levels matched: both null.
		case x.Kind() == parquet.Float:
			if math.Float32bits(x.Float()) != math.Float32bits(y.Float()) {
				return false
			}
		case x.Kind() == parquet.Double:
			if math.Float64bits(x.Double()) != math.Float64bits(y.Double()) {
				return false
			}
		case !parquet.Equal(x, y):
			return false
		}
	}
	return true
}
