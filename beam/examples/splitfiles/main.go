// Command splitfiles is an example Beam pipeline: it splits Parquet files
// as `splitdata split` does, planned here on the launcher and run as
// shards on the runner's workers, then merged. The output is byte for byte
// what `splitdata split` writes with the same options.
//
// On Prism, Beam's local runner:
//
//	go run ./examples/splitfiles --input data --out splits --seed 42 \
//	    --ratios train=0.8,valid=0.1,test=0.1 --shards 4
//
// Any runner's flags work (--runner dataflow, flink, spark; see README.md),
// as long as every worker sees --input and --out at the same paths.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	splitbeam "github.com/splitdata/splitdata/beam"
	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/splitter"
)

var (
	input     = flag.String("input", "", "input files, directories or globs, comma-separated (required)")
	out       = flag.String("out", "", "output directory, on a file system every worker mounts (required)")
	seed      = flag.String("seed", "", "master seed (required)")
	ratios    = flag.String("ratios", "train=0.8,test=0.2", "splits and their ratios, as for splitdata split --ratios")
	approx    = flag.Bool("approx", false, "approximate splits, as for splitdata split --approx")
	shards    = flag.Int("shards", 4, "number of shards")
	workers   = flag.Int("shard-workers", 0, "goroutines per shard (default: the worker's CPUs)")
	overwrite = flag.Bool("overwrite", false, "replace an existing output directory")
)

func init() { register.Function1x0(logManifest) }

// logManifest logs where the merged output's manifest is.
func logManifest(path string) {
	log.Infof(context.Background(), "merged: %s", path)
}

func main() {
	flag.Parse()
	beam.Init()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "splitfiles:", err)
		os.Exit(1)
	}
}

func run() error {
	if *input == "" || *out == "" || *seed == "" {
		return fmt.Errorf("--input, --out and --seed are required")
	}
	splits, err := splitter.ParseRatios(*ratios)
	if err != nil {
		return err
	}
	// On a remote runner the workers run this same binary; beam.Init, on a
	// worker, runs the SDK harness and exits, so only the launcher plans.
	job := pipeline.SplitConfig{Inputs: strings.Split(*input, ","), Out: *out, Seed: prng.Seed(*seed), Splits: splits, Approx: *approx}
	job.Overwrite = *overwrite
	p, s := beam.NewPipelineWithRoot()
	manifest, err := splitbeam.TrySplitFiles(s, splitbeam.FilesConfig{Split: job, Shards: *shards, Workers: *workers})
	if err != nil {
		return err
	}
	beam.ParDo0(s, logManifest, manifest)
	return beamx.Run(context.Background(), p)
}
