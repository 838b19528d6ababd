package pipeline

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"

	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/sources"
)

// startJob begins a job writing cfg.Out: it resolves the seed, opens the
// output directory (locks it and checks that it may be written:
// [OpenLocalDir]), and opens the inputs (footers only), which must lie
// outside it. release closes the inputs and aborts the output, which a
// committed output survives.
func startJob(cfg SplitConfig) (seed seedInfo, p *plan, out *LocalDir, release func(), err error) {
	if seed, err = resolveSeed(string(cfg.Seed)); err != nil {
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
	if err := checkInputsOutside(p.local, cfg.Out); err != nil {
		p.close()
		return seedInfo{}, nil, nil, nil, err
	}
	return seed, p, dir, func() { p.close(); _ = dir.Abort(context.Background()) }, nil
}

// openJob begins a job writing to an Output of the caller's: it resolves
// the seed and opens the inputs (footers only).
func openJob(cfg SplitConfig) (seedInfo, *plan, error) {
	seed, err := resolveSeed(string(cfg.Seed))
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

// openInputs opens the inputs of cfg, footers only, on at most cfg.Workers
// goroutines.
func openInputs(cfg SplitConfig) (*plan, error) {
	return openJobInputsOn(cfg.Inputs, cfg.Sources, sources.Options{Format: cfg.InputFormat, CSV: cfg.CSV, JSONL: cfg.JSONL}, cfg.Workers)
}

// seedInfo is a resolved master seed and where it came from.
type seedInfo struct {
	value     *big.Int
	text      string // the text it was hashed from, if not a decimal integer
	generated bool
}

// resolveSeed parses a seed, or draws a fresh 128-bit one when text is
// empty. Drawing is the only place splitdata uses system randomness, and the
// seed drawn is recorded in the manifest so the run can be repeated.
func resolveSeed(text string) (seedInfo, error) {
	if text == "" {
		v, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
		if err != nil {
			return seedInfo{}, fmt.Errorf("draw a seed: %w", err)
		}
		return seedInfo{value: v, generated: true}, nil
	}
	v, err := prng.Seed(text).Int()
	if err != nil {
		return seedInfo{}, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	info := seedInfo{value: v}
	if v.String() != text {
		info.text = text
	}
	return info, nil
}
