package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/sinks"
	"github.com/splitdata/splitdata/sources"
	"github.com/splitdata/splitdata/splitter"
)

// ShardDone is what a finished shard records (done.json in its directory):
// the plan it ran and the row groups it wrote.
type ShardDone struct {
	PlanSHA256 string     `json:"plan_sha256"`
	Shard      int        `json:"shard"`
	Groups     []FileInfo `json:"groups"` // paths SPLIT/rg-NNNNNN.parquet
}

// ShardConfig describes one shard's run.
type ShardConfig struct {
	// Plan is the path of the plan file.
	Plan string `json:"plan"`
	// Index is the shard to run, from 0.
	Index int `json:"index"`
	// Workers and Progress are as for [SplitConfig] (0 workers: the
	// number of CPUs).
	Workers  int      `json:"-"`
	Progress Progress `json:"-"`
	// MemoryLimit and OnBudget are as for [JobOptions]: the shard's
	// budget sizes its units, the rows and row groups in flight, and
	// whether output row groups are streamed; it never changes a byte.
	MemoryLimit int64             `json:"memory_limit,omitempty"`
	OnBudget    func(bytes int64) `json:"-"`
	// OpenObject opens the plan's inputs that are objects (planned from
	// [ObjectInput]s); a plan naming none needs no opener.
	OpenObject ObjectOpener `json:"-"`
}

// RunShard runs one shard of a plan: it reads the shard's units, encodes
// the row groups the shard owns and writes them, with done.json, to
// DIR/.shards/shard-NNNNN, replacing an earlier run of the same shard
// atomically. Running a shard again is safe and writes the same bytes.
func RunShard(ctx context.Context, cfg ShardConfig) (*ShardDone, error) {
	p, data, err := ReadPlan(cfg.Plan)
	if err != nil {
		return nil, err
	}
	if cfg.Index < 0 || cfg.Index >= len(p.Shards) {
		return nil, fmt.Errorf("%w: shard index %d, the plan has shards 0 to %d", ErrUsage, cfg.Index, len(p.Shards)-1)
	}
	switch {
	case cfg.Workers > MaxWorkers:
		return nil, fmt.Errorf("%w: --workers %d: at most %d", ErrUsage, cfg.Workers, MaxWorkers)
	case cfg.Workers <= 0:
		cfg.Workers = SplitConfig{}.withDefaults().Workers
	}
	if cfg.Progress == nil {
		cfg.Progress = noProgress{}
	}
	dir := filepath.Dir(cfg.Plan)
	final := filepath.Join(dir, shardsDir, shardName(cfg.Index))
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return nil, err
	}
	out, err := OpenLocalDir(final, true)
	if err != nil {
		return nil, err
	}
	defer out.Abort(ctx)

	w := p.work(cfg.Index)
	cfg.Progress.Phase("plan", 0)
	inputs, checks, closeAll, err := p.openInputs(ctx, w, cfg.OpenObject)
	if err != nil {
		return nil, err
	}
	defer closeAll()
	seed, _ := prng.Seed(p.Seed).Int() // ParsePlan checked it
	master, err := masterGenerator(seed, 0)
	if err != nil {
		return nil, err
	}
	var assigner *splitter.Assigner
	if p.Options.Approx {
		ratios := make([]float64, len(p.Options.Splits))
		for j, s := range p.Options.Splits {
			ratios[j] = s.Ratio
		}
		if assigner, err = splitter.NewApproxAssigner(ratios); err != nil {
			return nil, err
		}
	} else {
		assigner = splitter.NewExactAssigner(p.Boundaries, len(p.Options.Splits))
	}
	schema, kv := inputs[0].Schema(), keyValues(inputs[0])
	indexColumn := -1
	switch {
	case p.Options.IndexOnly:
		schema, kv = IndexSchema, nil
	case p.Options.RowIndexColumn != "":
		if schema, indexColumn, err = withRowIndex(schema, p.Options.RowIndexColumn); err != nil {
			return nil, err
		}
	}
	format := sinks.Parquet(p.Options.Parquet)
	encoder, err := format.NewEncoder(schema)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if err := prepare(out); err != nil {
		return nil, err
	}
	var units []unit
	var rows int64
	for _, u := range p.Units[w.lo:w.hi] {
		units = append(units, unit{seq: len(units), input: u.Input, rg: u.RowGroup, start: u.Start, rows: u.Rows})
		rows += u.Rows
	}
	srcs := make([]sources.Source, len(inputs))
	for i, in := range inputs {
		if in != nil {
			srcs[i] = in
		}
	}
	names := splitNames(p.Options.Splits)
	batches := useBatches(srcs, encoder, p.Options.IndexOnly)
	mem, err := shardMemory(cfg, inputs, schema, encoder, batches, p.Options, rows, len(p.Options.Splits))
	if err != nil {
		return nil, err
	}
	if mem.streams != nil {
		dir, remove, err := newSpillDir("", out)
		if err != nil {
			return nil, err
		}
		defer remove()
		mem.streams.dir = dir
	}
	if !p.Options.IndexOnly {
		units = cutUnits(srcs, units, unitBudget(mem.limit, cfg.Workers), batches, false)
		if err := checkUnits(srcs, units, mem.limit); err != nil {
			return nil, err
		}
	}
	e := &engine{
		unitsInFlight: inFlight(mem.limit, mem.streams != nil),
		jobsInFlight:  inFlight(mem.limit, mem.streams != nil),
		rowBytes:      mem.rowBytes,
		streams:       mem.streams,
		place:         &placer{assign: assignPlace(assigner), outputs: len(names)},
		order:         inputOrder{},
		layout:        shardWindow{names: names, windows: w.windows},
		inputs:        srcs,
		units:         units,
		schema:        schema,
		indexColumn:   indexColumn,
		master:        *master,
		names:         names,
		rowsPerFile:   p.Options.RowsPerFile,
		rowGroupRows:  p.Options.RowGroupRows,
		workers:       cfg.Workers,
		format:        format,
		reader:        newReader(encoder, batches, p.Options.IndexOnly, p.Options.IndexOnly || allParquet(inputs), cfg.Workers, recycleBytes(mem.limit, mem.streams != nil)),
		kv:            kv,
		out:           out,
	}
	e.progress = newEngineProgress(cfg.Progress, rows, -1, false, false)
	splits, err := e.run(ctx)
	if err != nil {
		return nil, err
	}
	for _, in := range inputs {
		if in != nil {
			if err := in.CheckUnchanged(); err != nil {
				return nil, err
			}
		}
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return nil, err
		}
	}
	sum := sha256.Sum256(data)
	done := &ShardDone{PlanSHA256: hex.EncodeToString(sum[:]), Shard: cfg.Index}
	for s, info := range splits {
		if len(info.Files) != w.groups[s].len() {
			return nil, fmt.Errorf("internal error: shard %d wrote %d row groups of split %s, owns %d", cfg.Index, len(info.Files), info.Name, w.groups[s].len())
		}
		done.Groups = append(done.Groups, info.Files...)
	}
	cfg.Progress.Phase("commit", 0)
	record, err := jsonFile(done)
	if err == nil {
		err = out.writeFile(shardDoneName, record)
	}
	if err != nil {
		return nil, err
	}
	if err := out.Commit(ctx, nil); err != nil {
		return nil, err
	}
	return done, nil
}

// openInputs opens the inputs shard work w reads, and the first input (its
// schema and metadata are the output's), checking that each is the file
// the plan saw; objects are opened through open. Inputs not needed are
// nil. checks are the objects' change checks beyond their sources' own.
func (p *Plan) openInputs(ctx context.Context, w shardWork, open ObjectOpener) (_ []sources.FileSource, checks []func() error, _ func(), err error) {
	inputs := make([]sources.FileSource, len(p.Inputs))
	var closers []func()
	closeAll := func() {
		for _, in := range inputs {
			if in != nil {
				_ = in.Close()
			}
		}
		for _, c := range closers {
			c()
		}
	}
	defer func() {
		if err != nil {
			closeAll()
		}
	}()
	need := map[int]bool{0: true}
	for _, u := range p.Units[w.lo:w.hi] {
		need[u.Input] = true
	}
	for i := range p.Inputs {
		if !need[i] {
			continue
		}
		if p.Inputs[i].Location != "" {
			o, err := p.openObject(ctx, i, open)
			if err != nil {
				return nil, nil, nil, err
			}
			inputs[i] = o.src
			closers = append(closers, o.close)
			if o.check != nil {
				checks = append(checks, o.check)
			}
			continue
		}
		path := p.inputPath(i)
		in, err := sources.Open(path, p.Options.inputOptions())
		if err != nil {
			return nil, nil, nil, err
		}
		inputs[i] = in
		if err := p.Inputs[i].check(path, in); err != nil {
			return nil, nil, nil, err
		}
	}
	if err := p.checkUnits(inputs); err != nil {
		return nil, nil, nil, err
	}
	return inputs, checks, closeAll, nil
}

// checkUnits reports whether each opened input (nil entries aside) has
// the units the plan gives it, each of the plan's row count: a plan's units
// are read by index, and ParsePlan cannot know how many an input has.
func (p *Plan) checkUnits(inputs []sources.FileSource) error {
	for j, u := range p.Units {
		in := inputs[u.Input]
		if in == nil {
			continue
		}
		if u.RowGroup >= in.NumUnits() || in.UnitNumRows(u.RowGroup) != u.Rows {
			return &sources.InputError{Path: in.Name(), RowGroup: -1, Err: fmt.Errorf("%w: plan unit %d is its unit %d of %d rows, and it has %d units",
				sources.ErrChanged, j, u.RowGroup, u.Rows, in.NumUnits())}
		}
	}
	return nil
}

// keyValues is an input's key/value metadata as the sinks take it.
func keyValues(in sources.FileSource) []sinks.KeyValue {
	return append([]sinks.KeyValue(nil), in.KeyValueMetadata()...)
}
