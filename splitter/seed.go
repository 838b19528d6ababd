package splitter

import (
	"fmt"
	"math/big"

	"github.com/splitdata/splitdata/prng"
)

// ParseSeed turns the text of --seed into the master seed, the non-negative
// integer given to numpy.random.PCG64, by the rule of [prng.Seed]. Errors
// wrap [ErrUsage] and [prng.ErrInvalidSeed]. The result is a new value owned
// by the caller.
//
// Deprecated: configs and generators take a [prng.Seed]; its integer is
// [prng.Seed.Int] (wrap its error with ErrUsage where a user typed it).
func ParseSeed(s string) (*big.Int, error) {
	v, err := prng.Seed(s).Int()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	return v, nil
}

// SeedNote returns the note to show a user whose --seed text is not a plain
// decimal integer, "" when it is one (or is not a valid seed).
//
// Deprecated: use [prng.Seed.Note].
func SeedNote(s string) string { return prng.Seed(s).Note() }
