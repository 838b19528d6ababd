package pipeline

import (
	"context"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/splitter"
)

// Time-series folds and repeated k-fold (kfold --time-series, --repeats;
// docs/algorithm.md section 18).

// MaxRepeats is the most repeats of kfold --repeats.
const MaxRepeats = 1000

// checkSeries checks the time-series and repeat options of a k-fold job,
// wrapping ErrUsage.
func (c KFoldConfig) checkSeries() error {
	if err := c.TimeSeriesOptions.Validate(); err != nil {
		return err
	}
	switch {
	case !c.TimeSeries && c.TimeSeriesOptions != (splitter.TimeSeriesOptions{}):
		return fmt.Errorf("%w: --gap, --max-train-size and --test-size are options of --time-series folds", ErrUsage)
	case c.TimeSeries && (c.Group != "" || c.Stratify != "" || c.Compat != ""):
		return fmt.Errorf("%w: --time-series folds follow the order alone: they do not go with --group, --stratify or --compat", ErrUsage)
	case c.TimeSeries && c.Materialize:
		return fmt.Errorf("%w: --time-series folds are always written as fold-j/train and fold-j/test: leave out --materialize", ErrUsage)
	case c.Repeats < 0 || c.Repeats > MaxRepeats:
		return fmt.Errorf("%w: --repeats %d: want 1 to %d", ErrUsage, c.Repeats, MaxRepeats)
	case c.Repeats > 1 && c.OrderBy != "":
		return fmt.Errorf("%w: --repeats %d with folds in order (--order-by, --time-series) would write the same folds %d times", ErrUsage, c.Repeats, c.Repeats)
	case c.Repeats > 1 && c.TimeSeries:
		return fmt.Errorf("%w: --repeats %d with --time-series would write the same folds %d times", ErrUsage, c.Repeats, c.Repeats)
	case c.Repeats > 1 && c.Compat != "":
		return fmt.Errorf("%w: --repeats does not go with --compat: the library draws one permutation per seed", ErrUsage)
	case c.Repeats > 1 && c.IndexOnly && c.Group != "":
		return fmt.Errorf("%w: --group and --index-only do not go together yet", ErrUsage)
	}
	return nil
}

// checkOrder refuses an ordered bootstrap sample, wrapping ErrUsage: the
// draws of a bootstrap do not follow an order.
func (c SampleConfig) checkOrder() error {
	if c.Replace && c.OrderBy != "" {
		return fmt.Errorf("%w: --replace draws with replacement at random; it does not go with --order-by", ErrUsage)
	}
	return nil
}

// orderedName reports whether name is the name of an output of a job with
// options o that nests it in a directory: fold-j/train and fold-j/test of
// time-series folds, repeat-r/... of repeated folds.
func orderedName(o ManifestOptions, name string) bool {
	if o.Repeats > 1 {
		r, rest, ok := strings.Cut(name, "/")
		if !ok || !repeatName.MatchString(r) {
			return false
		}
		if o.Materialize {
			return materializedName.MatchString(rest)
		}
		return !strings.ContainsAny(rest, `/\`) && rest != "" && rest != "." && rest != ".."
	}
	return o.TimeSeries != nil && materializedName.MatchString(name)
}

// repeatName is the directory of one repeat of kfold --repeats.
var repeatName = regexp.MustCompile(`^repeat-[0-9]+$`)

// writesCopies reports whether a job with options o may write a row more
// than once (duplicate rows in its manifest).
func writesCopies(o ManifestOptions) bool {
	return o.Replace || o.Materialize || o.TimeSeries != nil || o.Repeats > 1
}

// repeatedKFold runs cfg.Repeats k-fold jobs, repeat r with the keys of
// the master generator jumped r times, into cfg.Out/repeat-r/, and
// commits them as one output with one manifest: the splits of every
// repeat, named repeat-r/fold-j.
func repeatedKFold(ctx context.Context, cfg KFoldConfig) (*Manifest, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	seed, err := resolveSeed(string(cfg.Seed))
	if err != nil {
		return nil, err
	}
	out := cfg.Output
	if out == nil {
		// The inputs must lie outside the output, as a single job checks.
		p, err := openInputs(cfg.split())
		if err != nil {
			return nil, err
		}
		err = checkInputsOutside(p.local, cfg.Out)
		p.close()
		if err != nil {
			return nil, err
		}
		dir, err := OpenLocalDir(cfg.Out, cfg.Overwrite)
		if err != nil {
			return nil, err
		}
		out = dir
	}
	defer func() { _ = out.Abort(context.Background()) }()
	if err := prepare(out); err != nil {
		return nil, err
	}
	attachFn := cfg.Attach
	var m *Manifest
	for r := range cfg.Repeats {
		sub := &prefixOutput{parent: out, prefix: fmt.Sprintf("repeat-%d/", r)}
		one := cfg
		one.Repeats = 0
		if seed.generated {
			one.Seed = prng.Seed(seed.value.String()) // the seed drawn, for every repeat
		}
		one.Output = sub
		one.Attach = nil
		jb := one.job()
		jb.epoch = uint64(r)
		mr, err := run(ctx, one.split(), jb)
		if err != nil {
			return nil, fmt.Errorf("repeat %d: %w", r, err)
		}
		if m == nil {
			c := *mr
			c.Splits = nil
			c.Duplicates, c.Unassigned = 0, mr.Unassigned
			c.SeedGenerated = seed.generated
			c.Options.Repeats = cfg.Repeats
			c.Options.Epoch = 0
			m = &c
		}
		var written int64
		for _, s := range mr.Splits {
			s.Name = sub.prefix + s.Name
			files := make([]FileInfo, len(s.Files))
			for i, f := range s.Files {
				f.Path = sub.prefix + f.Path
				files[i] = f
			}
			s.Files = files
			m.Splits = append(m.Splits, s)
			written += s.Rows
		}
		m.Duplicates += written
	}
	m.Duplicates -= m.Rows - m.Unassigned // every row assigned is one of the copies
	if err := checkCounts(m); err != nil {
		return nil, err
	}
	if cfg.Progress != nil {
		cfg.Progress.Phase(PhaseCommit, 0)
	}
	if attachFn != nil {
		if err := attach(ctx, attachFn, out, m); err != nil {
			return nil, err
		}
	}
	if err := commitManifest(ctx, out, m); err != nil {
		return nil, err
	}
	return m, nil
}

// prefixOutput is the [Output] of one repeat: its files go into its
// parent under a prefix; committing it only keeps its manifest (the
// parent is committed once every repeat is written), and aborting it
// leaves the parent to its owner.
type prefixOutput struct {
	parent Output
	prefix string
}

var _ Output = (*prefixOutput)(nil)

func (o *prefixOutput) Create(ctx context.Context, name string) (io.WriteCloser, error) {
	return o.parent.Create(ctx, path.Join(o.prefix, name))
}

func (o *prefixOutput) Commit(context.Context, []byte) error { return nil }

func (o *prefixOutput) Abort(context.Context) error { return nil }

// committedOrdered is [KFoldConfig.Committed] for folds in order,
// time-series folds and repeated folds: the job as KFold builds it.
func committedOrdered(ctx context.Context, cfg KFoldConfig, hashes bool) (*Manifest, error) {
	if err := cfg.checkK(); err != nil {
		return nil, err
	}
	jb := cfg.job()
	if cfg.Repeats > 1 {
		jb.repeats = cfg.Repeats
	}
	return committed(ctx, cfg.split(), jb, hashes)
}
