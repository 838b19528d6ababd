package pipeline

import (
	"context"

	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/splitter"
)

// ShuffleConfig describes a shuffle job. The zero value of each field means
// the documented default; Inputs and Out are required.
type ShuffleConfig struct {
	// Inputs are files, directories or glob patterns; see [ResolveInputs].
	Inputs []string `json:"inputs"`
	// Out is the output directory; it gets part-NNNNN files and
	// manifest.json.
	Out string `json:"out"`
	// Seed is the master seed, as for [SplitConfig].
	Seed prng.Seed `json:"seed"`
	// Epoch selects one of many reproducible orders from the same seed:
	// the keys are numpy.random.PCG64(seed).jumped(Epoch).random_raw(n).
	// Epoch 0 gives the order of split --shuffle.
	Epoch uint64 `json:"epoch"`
	// Compat reproduces a Python library's order exactly; see
	// [SplitConfig.Compat].
	Compat splitter.CompatMode `json:"compat,omitempty"`
	// JobOptions are as for [SplitConfig]; ShuffleMemory bounds the decoded
	// rows held at once, beyond which rows spill to temporary files in TempDir.
	JobOptions
}

// ShuffleName is the name of a shuffle's single output in its manifest.
const ShuffleName = "shuffled"

// Shuffle writes every input row in canonical order: ascending (key, global
// row index), the keys drawn as [ShuffleConfig.Epoch] says. The order is a
// pure function of the seed, the epoch and the rows: the bytes do not depend
// on Workers, Memory or how the inputs are cut into files and row groups.
// The output appears atomically, as for [Split].
func Shuffle(ctx context.Context, cfg ShuffleConfig) (*Manifest, error) {
	return run(ctx, cfg.split(), job{command: "shuffle", flat: true, epoch: cfg.Epoch})
}
