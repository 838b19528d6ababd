package pipeline

import (
	"context"

	"github.com/splitdata/splitdata/sources"
)

// startJob begins a job writing cfg.Out: it resolves the seed, opens the
// output directory (locks it and checks that it may be written:
// [OpenLocalDir]), and opens the inputs (footers only), which must lie
// outside it. release closes the inputs and aborts the output, which a
// committed output survives.
func startJob(cfg SplitConfig) (seed seedInfo, p *plan, out *LocalDir, release func(), err error) {
	if seed, err = resolveSeed(cfg.Seed); err != nil {
		return seedInfo{}, nil, nil, nil, err
	}
	dir, err := OpenLocalDir(cfg.Out, cfg.Overwrite)
	if err != nil {
		return seedInfo{}, nil, nil, nil, err
	}
	defer func() {
		if err != nil {
			_ = dir.Abort(context.Background())
		}
	}()
	cfg.Progress.Phase("plan", 0)
	if p, err = openInputs(cfg); err != nil {
		return seedInfo{}, nil, nil, nil, err
	}
	if err := checkInputsOutside(p.paths, cfg.Out); err != nil {
		p.close()
		return seedInfo{}, nil, nil, nil, err
	}
	return seed, p, dir, func() { p.close(); _ = dir.Abort(context.Background()) }, nil
}

// openJob begins a job writing to an Output of the caller's: it resolves
// the seed and opens the inputs (footers only).
func openJob(cfg SplitConfig) (seedInfo, *plan, error) {
	seed, err := resolveSeed(cfg.Seed)
	if err != nil {
		return seedInfo{}, nil, err
	}
	cfg.Progress.Phase("plan", 0)
	p, err := openInputs(cfg)
	if err != nil {
		return seedInfo{}, nil, err
	}
	return seed, p, nil
}

// openInputs opens the inputs of cfg, footers only.
func openInputs(cfg SplitConfig) (*plan, error) {
	return openPlan(cfg.Inputs, sources.Options{Format: cfg.InputFormat, CSV: cfg.CSV, JSONL: cfg.JSONL})
}
