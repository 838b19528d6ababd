package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"runtime"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/splitter"
)

type explainFlags struct {
	seed     string
	rows     string
	ratios   string
	testSize string
	sizes    string
	total    int64
	approx   bool
}

func newExplainCmd(stdout io.Writer, log *logger) *cobra.Command {
	var f explainFlags
	cmd := &cobra.Command{
		Use:   "explain --seed S --rows A-B [--ratios ... [--total N | --approx]]",
		Short: "Print the key (and split) of rows A..B as CSV, to check assignments by hand",
		Long: `Explain prints, as CSV with the header row,key,split, the key of every global
row index from A to B inclusive (B may be as large as 2^64-1), as an unsigned
decimal. With --ratios (or --test-size, --sizes) it also prints the split each
row goes to: exact splits need --total N, the number of rows in the dataset;
--approx needs no total. The numbers are those of:

  numpy.random.PCG64(seed).random_raw(B + 1)[A:]`,
		Example: `  splitdata explain --seed 42 --rows 0-9
  splitdata explain --seed 42 --rows 0-9 --ratios train=0.8,test=0.2 --total 100
  splitdata explain --seed 42 --rows 1000000-1000010 --ratios train=0.9,test=0.1 --approx`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("seed") && f.seed == "" {
				return usagef("--seed is empty: give a seed (an integer or any text)")
			}
			return f.run(cmd.Context(), stdout)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.seed, "seed", "", "master seed (required): a non-negative integer of any size, or any text (hashed), as for split")
	fl.StringVar(&f.rows, "rows", "", "row range A-B, inclusive (required)")
	fl.StringVar(&f.ratios, "ratios", "", "split names and shares, e.g. train=0.8,test=0.2")
	fl.StringVar(&f.testSize, "test-size", "", "test share or row count, as for split")
	fl.StringVar(&f.sizes, "sizes", "", "exact row counts per split, as for split")
	fl.Int64Var(&f.total, "total", 0, "number of rows in the dataset (exact splits)")
	fl.BoolVar(&f.approx, "approx", false, "explain an --approx split")
	return cmd
}

func (f *explainFlags) run(ctx context.Context, stdout io.Writer) error {
	if f.seed == "" {
		return usagef("--seed is required")
	}
	if f.rows == "" {
		return usagef("--rows is required")
	}
	first, last, err := parseRowRange(f.rows)
	if err != nil {
		return err
	}
	seed, err := prng.Seed(f.seed).Int()
	if err != nil {
		return fmt.Errorf("%w: %w", splitter.ErrUsage, err)
	}
	gen, err := prng.NewPCG64(seed)
	if err != nil {
		return err
	}
	splits, err := parseSplitList(f.ratios, f.testSize, f.sizes)
	if err != nil {
		return err
	}

	var assign *splitter.Assigner
	if splits != nil {
		if !f.approx {
			if f.total <= 0 {
				return usagef("exact splits need --total N, the number of rows in the dataset (or use --approx)")
			}
			if last >= uint64(f.total) {
				return usagef("--rows %s reaches past --total %d", f.rows, f.total)
			}
		}
		if assign, _, err = splitter.NewAssigner(ctx, gen, splits, f.total, f.approx, runtime.GOMAXPROCS(0)); err != nil {
			return err
		}
	}

	w := bufio.NewWriter(stdout)
	if splits != nil {
		w.WriteString("row,key,split\n")
	} else {
		w.WriteString("row,key\n")
	}
	gen.Advance(first)
	var key [1]uint64
	var id [1]uint8
	var line []byte
	for i := first; ; i++ {
		key[0] = gen.Uint64()
		line = strconv.AppendUint(line[:0], i, 10)
		line = append(line, ',')
		line = strconv.AppendUint(line, key[0], 10)
		if assign != nil {
			// Rows at or past 2^63 only occur with --approx, whose
			// assignment does not look at the index.
			assign.Assign(key[:], int64(min(i, math.MaxInt64)), id[:])
			line = append(line, ',')
			if int(id[0]) < len(splits) {
				line = append(line, splits[id[0]].Name...)
			}
		}
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			return err
		}
		if i == last {
			break
		}
	}
	return w.Flush()
}

// parseRowRange parses "A-B" (or a single "A") into inclusive bounds.
func parseRowRange(s string) (uint64, uint64, error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		b = a
	}
	first, err1 := strconv.ParseUint(strings.TrimSpace(a), 10, 64)
	last, err2 := strconv.ParseUint(strings.TrimSpace(b), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, usagef("--rows %q: want A-B with 0 <= A <= B <= 18446744073709551615", s)
	}
	if first > last {
		return 0, 0, usagef("--rows %q: the first row is after the last", s)
	}
	return first, last, nil
}
