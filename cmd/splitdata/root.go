package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/splitdata/splitdata/pipeline"
)

const exitStatusHelp = `
EXIT STATUS
  0    success (also: --if-exists skip found this job's output already there)
  1    failure: bad input, I/O error, output exists or differs; retrying as is fails again
  2    usage error: bad flags or options
  75   transient failure, worth retrying: the output locked by a live run, no space
       left on a disk (temporary files) or over quota, a network error, a timeout
  130  interrupted (SIGINT or SIGTERM); temporary output is removed
With --log-format json, the last message carries exit_code and error_class:
input, failure, usage, transient or interrupted.
`

func newRootCmd(stdout io.Writer, log *logger, notes *runNotes) *cobra.Command {
	root := &cobra.Command{
		Use:   "splitdata",
		Short: "Reproducible splits, samples and shuffles of large Parquet, Arrow IPC, CSV and JSON Lines files",
		Long: `splitdata splits, samples and shuffles large tabular files for machine learning,
reproducibly: the same seed gives the same rows in the same splits, in the same
bytes, on any machine, with any number of workers, however the input is chunked.`,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return checkCommandLine(cmd, args, log, notes)
		},
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.ArbitraryArgs,
		// A mistyped command within two edits of one gets its name.
		SuggestionsMinimumDistance: 2,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return unknownCommand(cmd, args[0])
			}
			return cmd.Help()
		},
	}
	root.SetOut(stdout)
	root.SetErr(log.w)
	root.PersistentFlags().Var(log, "log-format", "format of splitdata's messages on stderr: text, or json (one object per line)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		// "splitdata splt data/ --out o" reaches the root, which has no
		// --out: the mistyped command is the error to report.
		if !c.HasParent() && c.Flags().NArg() > 0 {
			return unknownCommand(c, c.Flags().Arg(0))
		}
		if name := nearFlag(c, err); name != "" {
			return usagef("%v (did you mean --%s?)", err, name)
		}
		if msg := badFlagValue(err); msg != "" {
			return usagef("%s", msg)
		}
		return usageError{err}
	})
	root.SetHelpTemplate(root.HelpTemplate() + exitStatusHelp)
	root.AddCommand(
		newSplitCmd(stdout, log),
		newShuffleCmd(stdout, log),
		newSampleCmd(stdout, log),
		newKFoldCmd(stdout, log),
		newPlanCmd(stdout, log),
		newRunShardCmd(stdout, log),
		newMergeCmd(stdout, log),
		newExplainCmd(stdout, log),
		newGenCmd(stdout, log),
		newVerifyCmd(stdout, log),
		newCleanCmd(stdout, log),
		newInspectCmd(stdout),
		newReportCmd(stdout),
		newVersionCmd(stdout),
	)
	return root
}

// unknownCommand is the usage error for a first argument that names no
// command of root, with the command meant when one is a near miss.
func unknownCommand(root *cobra.Command, name string) error {
	if s := root.SuggestionsFor(name); len(s) > 0 {
		return usagef("unknown command %q: did you mean %q?", name, s[0])
	}
	return usagef("unknown command %q", name)
}

// nearFlag returns, for an unknown flag in the parse error err, the flag
// of c it stands for: the name another tool gives it ("--random_state",
// "--n-splits", "-o"; aliasFlag, shortAlias), else, for a long flag, the
// flag it is a near miss of: within two edits ("--ratio" for "--ratios"),
// or a start of it or started by it, from three letters ("--row" for
// "--rows"). Several near misses: the nearest, then the first by name.
func nearFlag(c *cobra.Command, err error) string {
	var unknown *pflag.NotExistError
	if !errors.As(err, &unknown) {
		return ""
	}
	name := unknown.GetSpecifiedName()
	if group := unknown.GetSpecifiedShortnames(); group != "" {
		return shortAlias(c, name, group)
	}
	if alias := aliasFlag(c, name); alias != "" {
		return alias
	}
	best, bestDist := "", 3
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		d := editDistance(name, f.Name)
		if min(len(name), len(f.Name)) >= 3 && (strings.HasPrefix(f.Name, name) || strings.HasPrefix(name, f.Name)) {
			d = min(d, 2)
		}
		if d < bestDist {
			best, bestDist = f.Name, d
		}
	})
	return best
}

// badFlagValue says in words what a flag's value that does not parse as
// its type should be ("--epoch -1: want a whole number, 0 or more"), in
// place of the parser's text ("strconv.ParseUint: parsing "-1": invalid
// syntax"); "" for other errors.
func badFlagValue(err error) string {
	var bad *pflag.InvalidValueError
	var num *strconv.NumError
	if !errors.As(err, &bad) || !errors.As(err, &num) {
		return ""
	}
	name, value := "--"+bad.GetFlag().Name, bad.GetValue()
	typ := bad.GetFlag().Value.Type()
	var want string
	switch {
	case typ == "bool":
		return fmt.Sprintf("%s=%s: want true or false", name, value)
	case strings.HasPrefix(typ, "uint"):
		want = "a whole number, 0 or more"
	case strings.HasPrefix(typ, "int"):
		want = "a whole number"
	case strings.HasPrefix(typ, "float"):
		want = "a number"
	default:
		return ""
	}
	if errors.Is(num.Err, strconv.ErrRange) {
		return fmt.Sprintf("%s %s: out of range", name, value)
	}
	return fmt.Sprintf("%s %s: want %s", name, value, want)
}

// editDistance is the Levenshtein distance between a and b, by bytes.
func editDistance(a, b string) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func newVersionCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the splitdata and algorithm versions",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := io.WriteString(stdout, fmt.Sprintf("splitdata %s (algorithm %d)\n", pipeline.Version, pipeline.AlgorithmVersion))
			return err
		},
	}
}

// noArgs rejects positional arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %q", cmd.Name(), args[0])
	}
	return nil
}
