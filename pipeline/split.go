package pipeline

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"time"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/sinks"
	"github.com/splitdata/splitdata/sources"
	"github.com/splitdata/splitdata/splitter"
)

// Split runs a split job: it reads the inputs once, assigns every row to a
// split as docs/algorithm.md specifies, and writes each split's rows, in
// input order, to cfg.Out/<split>/part-NNNNN.parquet, then cfg.Out/manifest.json.
// The output appears atomically: until Split returns successfully nothing
// exists under cfg.Out (or the old content is untouched with Overwrite).
//
// Errors in the options wrap [ErrUsage]; an existing output wraps
// [ErrOutputExists]; bad input is a [*sources.InputError].
func Split(ctx context.Context, cfg SplitConfig) (*Manifest, error) {
	return run(ctx, cfg, job{command: "split"})
}

// SplitTo is [Split] writing its files, and last its manifest, to out
// rather than to the directory cfg.Out (which is not used, nor are
// Overwrite and the checks that the inputs lie outside it: opening out
// is its constructor's job). out is committed when SplitTo succeeds and
// aborted when it fails; the files' bytes are those Split writes.
//
// It is Split with cfg.Output set to out; [Shuffle], [Sample] and [KFold]
// take an Output the same way, through their JobOptions.
func SplitTo(ctx context.Context, cfg SplitConfig, out Output) (*Manifest, error) {
	if out == nil {
		return nil, fmt.Errorf("%w: no output", ErrUsage)
	}
	cfg.Output = out
	return run(ctx, cfg, job{command: "split"})
}

// job is what distinguishes the commands built on the split engine.
type job struct {
	command string // recorded in the manifest
	flat    bool   // files directly in the output directory (one split)
	epoch   uint64 // keys from the master generator jumped this many times
	// resize, when set, replaces the split list once the footers give n:
	// for jobs whose sizes depend on it (sample by fraction, kfold).
	resize func(splits []splitter.Split, n int64) ([]splitter.Split, error)
	// replace makes a sample a bootstrap: its one split's count of draws
	// with replacement.
	replace bool
	// materialize writes, for each of the splits (folds), its rows as
	// FOLD/test and every other fold's rows as FOLD/train.
	materialize bool
	// timeSeries writes time-series folds as FOLD/train and FOLD/test
	// (place_order.go).
	timeSeries *splitter.TimeSeriesOptions
	// repeats is recorded in the manifest of repeated folds (the engine
	// runs one repeat at a time).
	repeats int
}

// run is the engine behind [Split], [Shuffle], [Sample] and [KFold].
func run(ctx context.Context, cfg SplitConfig, jb job) (*Manifest, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := checkCompat(cfg, jb.command); err != nil {
		return nil, err
	}
	autoMemory, autoShuffle := cfg.MemoryLimit == 0, cfg.ShuffleMemory == 0
	cfg = cfg.withDefaults()
	var seed seedInfo
	var plan *plan
	var out Output
	var release func()
	var err error
	if cfg.Output != nil {
		seed, plan, err = openJob(cfg)
		out, release = cfg.Output, func() {
			if plan != nil {
				plan.close()
			}
			_ = cfg.Output.Abort(context.Background())
		}
	} else {
		var dir *LocalDir
		seed, plan, dir, release, err = startJob(cfg)
		out = dir
	}
	if err != nil {
		if cfg.Output != nil {
			release()
		}
		return nil, err
	}
	defer release()
	if jb.resize != nil {
		if cfg.Splits, err = jb.resize(cfg.Splits, plan.rows); err != nil {
			return nil, err
		}
	}
	if cfg.TrainTest != nil {
		if cfg.Splits, err = cfg.TrainTest.Splits(plan.rows); err != nil {
			return nil, err
		}
	}

	master, err := masterGenerator(seed.value, jb.epoch)
	if err != nil {
		return nil, err
	}
	var group groupSpec
	stratGroups := cfg.Stratify != "" && cfg.Group != "" // place_stratgroup.go: a placer of its own
	if cfg.grouped() && !stratGroups {
		if group, err = groupOf(plan.schema, cfg.Group, cfg.GroupByContent, cfg.ContentColumns); err != nil {
			return nil, err
		}
		if cfg.RatioBy != RatioByRows {
			cfg.Approx = true // key-stable: each group by its own key
		}
	}
	schema, kv := plan.schema, plan.kv
	indexColumn := -1
	switch {
	case cfg.IndexOnly:
		schema, kv = IndexSchema, nil
	case cfg.RowIndexColumn != "":
		if schema, indexColumn, err = withRowIndex(schema, cfg.RowIndexColumn); err != nil {
			return nil, err
		}
	}
	format, err := outputFormat(cfg)
	if err != nil {
		return nil, err
	}
	encoder, err := format.NewEncoder(schema)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	inputs := make([]sources.Source, len(plan.inputs))
	for i, in := range plan.inputs {
		inputs[i] = in
	}
	// A grouped job places its rows from the group keys a first pass puts
	// in a table (tablePlace; place_stratgroup.go with --stratify), as a
	// stratified job does from its classes: the main pass hashes no group
	// value and takes the columnar path where it can.
	batches := useBatches(inputs, encoder, cfg.IndexOnly)
	if cfg.OnPath != nil {
		cfg.OnPath(batches)
	}
	// A budget that cannot hold the output row groups fails before any
	// pass over the data.
	outputs := len(cfg.Splits)
	if jb.materialize || jb.timeSeries != nil {
		outputs *= 2
	}
	rowBytes := plan.rowBytes(batches, cfg.Shuffle || cfg.Compat != "")
	if cfg.IndexOnly {
		rowBytes = valueBytes + rowHeaderBytes // rows of one index
	}
	_, canStream := encoder.(sinks.StreamEncoder)
	shape := outputShape{rowBytes: rowBytes, encodedBytes: plan.encodedRowBytesOf(ctx, format, batches && !cfg.IndexOnly), rowGroupRows: cfg.RowGroupRows, rows: plan.rows,
		outputs: outputs, workers: cfg.Workers, rowPath: !batches, canStream: canStream && !cfg.IndexOnly,
		leaves: len(schema.Columns()), byteArrays: byteArrayLeaves(schema), pageBytes: pageBytes(cfg.Parquet), reencoder: sinks.ReencoderBytes(encoder, batches),
		noReadBack: !sinks.StreamReadsBack(encoder, batches)}
	if _, need := outputMemory(DefaultMemoryLimit, shape); autoMemory && need > cfg.MemoryLimit {
		// No budget was given: the default grows to what the job needs.
		cfg.MemoryLimit = need
		if autoShuffle {
			cfg.ShuffleMemory = shuffleShare(need, cfg.TempStore)
		}
	}
	if err := checkMemory(cfg.MemoryLimit, shape); err != nil {
		return nil, err
	}
	if cfg.OnBudget != nil {
		cfg.OnBudget(cfg.MemoryLimit)
	}
	// place, when set, assigns rows instead of the assigner: a
	// compatibility mode's placer (which also sets the keys that order the
	// rows) or a stratified split's.
	var place placeFunc
	var assign keyAssigner // of row keys, or of group keys with --group
	var repeat func(i int64) int
	var duplicates int64
	var unassigned int64
	var stratGroupsInfo *StratifiedGroupsInfo
	var content *ContentStats // counted by the group key pass
	// A compatibility mode writes each split in its library's order: the
	// shuffle machinery orders rows by the keys its placer gives.
	shuffle := cfg.Shuffle || cfg.Compat != ""
	shuffleBytes := plan.decodedBytes(batches)
	if cfg.IndexOnly {
		shuffleBytes = plan.rows * (valueBytes + rowHeaderBytes)
	}
	keepsState := cfg.grouped() || cfg.Stratify != "" || (cfg.OrderBy != "" && cfg.OrderBy != OrderByRow)
	stateMemory, shuffleMemory := rowStateShares(cfg.ShuffleMemory, shuffleBytes, len(cfg.Splits), shuffle && cfg.Compat == "", keepsState)
	if cfg.GroupByContent {
		content = new(ContentStats)
	}
	var order *orderPlan // --order-by
	switch {
	case cfg.Compat != "":
		cfg.Progress.Phase("permutation", 0)
		order, err := compatOrder(cfg.Compat, jb.command, cfg.Splits, plan.rows, string(cfg.Seed))
		if err != nil {
			return nil, err
		}
		compat := newCompatPlacer(order)
		place, unassigned = compat.place, compat.unassigned()
	case jb.replace:
		if cfg.Stratify != "" {
			return nil, fmt.Errorf("%w: --replace and --stratify do not go together yet", ErrUsage)
		}
		k := cfg.Splits[0].Rows
		if k > 0 && plan.rows == 0 {
			return nil, fmt.Errorf("%w: no rows to draw %d from", ErrUsage, k)
		}
		draws := bootstrap(splitter.Bootstrap(master, plan.rows, max(k, 0)))
		place, repeat = draws.place, draws.count
		unassigned, duplicates = plan.rows-draws.distinct(), int64(len(draws))-draws.distinct()
	case stratGroups:
		var release func()
		place, unassigned, stratGroupsInfo, release, err = stratGroupPlacer(ctx, cfg.Splits, plan, cfg.Group, cfg.Stratify, seed.value, cfg.Workers, stateMemory, tempFiles(cfg.TempStore, cfg.TempDir), cfg.Progress)
		if release != nil {
			defer release()
		}
	case cfg.Stratify != "":
		var release func()
		place, unassigned, release, err = stratifiedPlacer(ctx, jb.command, cfg.Splits, plan, cfg.Stratify, master, cfg.Workers, stateMemory, cfg.MemoryLimit, tempFiles(cfg.TempStore, cfg.TempDir), cfg.Progress)
		if release != nil {
			defer release()
		}
	case cfg.OrderBy != "":
		ordered := cfg
		ordered.ShuffleMemory = stateMemory
		if order, err = newOrderPlan(ctx, ordered, jb.timeSeries, plan); err == nil {
			defer order.release()
			place, unassigned, duplicates = order.place, order.unassigned, order.duplicates
		}
	case cfg.grouped() && cfg.RatioBy == RatioByRows:
		var release func()
		place, unassigned, release, err = rowBalancedPlacer(ctx, cfg.Splits, plan, group, seed.value, cfg.Workers, stateMemory, cfg.MemoryLimit, tempFiles(cfg.TempStore, cfg.TempDir), cfg.Progress, content)
		if release != nil {
			defer release()
		}
	default:
		assign, unassigned, err = newAssigner(ctx, cfg, master, plan.rows)
		if err == nil && cfg.grouped() {
			var release func()
			place, release, err = groupPlacer(ctx, assign, plan, group, seed.value, cfg.Workers, stateMemory, tempFiles(cfg.TempStore, cfg.TempDir), cfg.Progress, content)
			if release != nil {
				defer release()
			}
		}
	}
	if err != nil {
		return nil, err
	}
	names := splitNames(cfg.Splits)
	var fanout [][]int
	if jb.materialize {
		names, fanout = materializedFolds(names)
		duplicates = int64(len(cfg.Splits)-1) * (plan.rows - unassigned)
	}
	if order != nil && order.names != nil {
		names, fanout = order.names, order.fanout
	}
	// A local directory's staging directory is made before any pass over
	// the rows, so that an output that cannot be written fails first.
	if err := prepare(out); err != nil {
		return nil, err
	}
	partitions := 1
	if shuffle {
		partitions, err = shufflePartitions(shuffleBytes, shuffleMemory, len(cfg.Splits))
		if err != nil {
			return nil, err
		}
	}
	streams := newStreams(cfg.MemoryLimit, shape, encoder, cfg.IndexOnly || allParquet(plan.inputs))
	spill, err := newSpillPlaces(cfg.TempDir, cfg.TempStore, out, partitions > 1, streams != nil)
	if err != nil {
		return nil, err
	}
	defer spill.remove()
	if streams != nil {
		streams.dir = spill.path
	}
	budget := unitBudget(cfg.MemoryLimit, cfg.Workers)
	if testUnitBudget > 0 {
		budget = testUnitBudget
	}
	if cfg.IndexOnly {
		budget = 0 // no data read
	}
	// A spilling shuffle holds none of a unit's rows once they are spilled
	// (the pieces are the orderer's, counted there), so its units are sized
	// as a split's: counting the held rows' bookkeeping cut mixed's
	// one-page row groups in three, each unit decompressing every page.
	units := cutUnits(inputs, plan.units, budget, batches, shuffle && partitions == 1)
	if err := checkUnits(inputs, units, cfg.MemoryLimit); err != nil && !cfg.IndexOnly {
		return nil, err
	}
	if testHookUnits != nil {
		testHookUnits(len(units))
	}
	var rows rowAssigner
	switch {
	case place != nil:
		rows = place
	case cfg.grouped():
		return nil, fmt.Errorf("internal error: a grouped job without its placer")
	default:
		rows = assignPlace(assign)
	}
	var batchLayout columnar.Layout
	if batches {
		if batchLayout, err = columnar.LayoutOf(schema); err != nil {
			return nil, fmt.Errorf("internal error: columnar path for %w", err)
		}
	}
	e := &engine{
		unitsInFlight: inFlight(cfg.MemoryLimit, streams != nil),
		jobsInFlight:  inFlight(cfg.MemoryLimit, streams != nil),
		rowBytes:      rowBytes,
		place:         &placer{assign: rows, repeat: repeat, fanout: fanout, outputs: len(names)},
		order:         newOrderer(shuffle, partitions, len(names), shuffleMemory, spill.files, batches, batchLayout),
		layout:        wholeJob{names: names, flat: jb.flat, ext: format.Ext()},
		inputs:        inputs,
		units:         units,
		schema:        schema,
		indexColumn:   indexColumn,
		master:        *master,
		names:         names,
		rowsPerFile:   cfg.RowsPerFile,
		rowGroupRows:  cfg.RowGroupRows,
		workers:       cfg.Workers,
		format:        format,
		reader:        newReader(encoder, batches, cfg.IndexOnly, cfg.IndexOnly || allParquet(plan.inputs), cfg.Workers, recycleBytes(cfg.MemoryLimit, streams != nil)),
		streams:       streams,
		kv:            kv,
		out:           out,
	}
	e.progress = newEngineProgress(cfg.Progress, plan.rows, plan.rows-unassigned+duplicates, shuffle, partitions > 1)
	if e.observer = cfg.Observer; e.observer != nil {
		info := ObserveInfo{Schema: schema, Splits: names, Format: cfg.Format, Rows: plan.rows - unassigned + duplicates, Complete: streams == nil}
		if err := e.observer.Start(info); err != nil {
			return nil, err
		}
	}
	// The inputs' identity, for a rerun's --if-exists skip, is hashed
	// while the rows are written (see inputIdentifier).
	ident := startIdentify(plan.infos(), len(plan.local), cfg.Sources, identifyBackground, cfg.Workers)
	defer ident.abandon()
	splits, err := e.run(ctx)
	if err != nil {
		return nil, err
	}
	if spill.path != "" {
		// Nothing of the spill may reach the committed output.
		if err := os.RemoveAll(spill.path); err != nil {
			return nil, fmt.Errorf("shuffle: remove temporary files: %w", err)
		}
	}
	if testHookEngineDone != nil {
		testHookEngineDone()
	}
	if err := plan.checkUnchanged(); err != nil {
		return nil, err
	}
	infos, err := ident.finish()
	if err != nil {
		return nil, err
	}

	m := &Manifest{
		Tool:          "splitdata",
		Version:       Version,
		Algorithm:     AlgorithmVersion,
		Command:       jb.command,
		Created:       time.Now().UTC().Truncate(time.Second),
		Seed:          seed.value.String(),
		SeedText:      seed.text,
		SeedGenerated: seed.generated,
		Options:       manifestOptions(cfg, jb),
		Inputs:        infos,
		Rows:          plan.rows,
		Unassigned:    unassigned,
		Duplicates:    duplicates,
		Content:       content,
		Splits:        splits,
	}
	m.StratifiedGroups = stratGroupsInfo
	if err := checkCounts(m); err != nil {
		return nil, err
	}
	cfg.Progress.Phase("commit", 0)
	if cfg.Attach != nil {
		if err := attach(ctx, cfg.Attach, out, m); err != nil {
			return nil, err
		}
	}
	if err := commitManifest(ctx, out, m); err != nil {
		return nil, err
	}
	return m, nil
}

// masterGenerator is the generator of the keys: numpy.random.PCG64(seed),
// jumped epoch times (PCG64(seed).jumped(epoch); epoch 0 is PCG64(seed)).
func masterGenerator(seed *big.Int, epoch uint64) (*prng.PCG64, error) {
	g, err := prng.NewPCG64(seed)
	if err != nil {
		return nil, err
	}
	if epoch > 0 {
		g = g.Jumped(epoch)
	}
	return g, nil
}

// testHookEngineDone, when set by a test, runs after the rows are written and
// before the inputs are checked for changes.
var testHookEngineDone func()

// checkCounts verifies that every input row was written exactly once.
func checkCounts(m *Manifest) error {
	written := m.Unassigned - m.Duplicates
	for _, s := range m.Splits {
		var files int64
		for _, f := range s.Files {
			files += f.Rows
		}
		if files != s.Rows {
			return fmt.Errorf("internal error: split %s: files hold %d rows, split %d", s.Name, files, s.Rows)
		}
		written += s.Rows
	}
	if written != m.Rows {
		return fmt.Errorf("internal error: read %d rows, wrote %d", m.Rows, written)
	}
	return nil
}

func splitNames(splits []splitter.Split) []string {
	names := make([]string, len(splits))
	for i, s := range splits {
		names[i] = s.Name
	}
	return names
}

// newAssigner builds the row assignment for n rows: key thresholds for
// approximate splits, rank boundaries found by a pass over the keys for
// exact ones, whose boundaries phase shows only when there is one to draw
// (not for a shuffle's one output of every row). It returns the number of
// rows that fall in no split.
func newAssigner(ctx context.Context, cfg SplitConfig, master *prng.PCG64, n int64) (*splitter.Assigner, int64, error) {
	draws := !cfg.Approx && drawsBoundaries(cfg.Splits, n)
	if draws {
		cfg.Progress.Phase(PhaseBoundaries, 0) // rows counted at the end: a spinner
	}
	a, unassigned, err := splitter.NewAssigner(ctx, master, cfg.Splits, n, cfg.Approx, cfg.Workers)
	if err == nil && draws {
		cfg.Progress.Add(n)
	}
	return a, unassigned, err
}

// drawsBoundaries reports whether exact splits of n rows have a boundary
// inside the rows: all but one split taking every row. Splits whose sizes
// are wrong report true: NewAssigner says what is wrong.
func drawsBoundaries(splits []splitter.Split, n int64) bool {
	sizes, err := splitter.Sizes(splits, n)
	return err != nil || len(sizes) != 1 || sizes[0] != n
}

// attach runs a job's Attach on its staged output directory, where the
// files it writes are committed with the output.
func attach(ctx context.Context, fn func(context.Context, string, *Manifest) error, out Output, m *Manifest) error {
	d, ok := out.(*LocalDir)
	if !ok {
		return fmt.Errorf("%w: a report or a dataset card needs a local output directory", ErrUsage)
	}
	s, err := d.staged()
	if err != nil {
		return err
	}
	return fn(ctx, s.Path("."), m)
}
