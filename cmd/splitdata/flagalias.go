package main

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// flagAliases lists, for flags of splitdata, the names other tools give
// the same option (scikit-learn, pandas, Polars, Spark, Hugging Face
// datasets, common command-line habits), as flagKey spells them: a user
// who types one of those gets splitdata's name, if the command has the
// flag. Where several entries hold a name, the first the command has
// wins. An entry's skip is a command whose flag of that name means
// something else, where no alias leads.
var flagAliases = []struct {
	flag  string
	skip  string
	names []string
}{
	{flag: "stratify", names: []string{"stratified", "stratifyby", "stratifybycolumn", "stratifycolumn", "stratifyon"}},
	{flag: "k", names: []string{"folds", "nfolds", "numfolds", "kfolds", "nsplits", "numsplits", "cv"}},
	// Where the command has no --random-state, the seed is --seed.
	{flag: "seed", names: []string{"randomstate", "randomseed", "rngseed"}},
	// kfold's --test-size counts the test rows of a time-series fold.
	{flag: "test-size", skip: "kfold", names: []string{"testratio", "testfraction", "testfrac", "testshare"}},
	{flag: "train-size", names: []string{"trainratio", "trainfraction", "trainfrac", "trainshare"}},
	{flag: "fraction", names: []string{"frac", "samplefraction", "samplefrac"}},
	{flag: "rows", names: []string{"n", "nsamples", "numsamples", "samplesize", "nrows", "numrows"}},
	{flag: "replace", names: []string{"withreplacement", "replacement"}},
	{flag: "ratios", names: []string{"weights", "splitratios", "fractions", "proportions"}},
	{flag: "out", names: []string{"o", "output", "outputdir", "outdir", "outputpath", "dest", "destination"}},
	{flag: "workers", names: []string{"j", "jobs", "njobs", "threads", "nthreads", "numthreads", "numworkers", "parallelism", "concurrency"}},
	{flag: "delimiter", names: []string{"sep", "separator", "delim"}},
	{flag: "order-by", names: []string{"sortby", "sort", "sortcolumn", "timecolumn", "timecol"}},
	{flag: "time-series", names: []string{"timeseriessplit"}},
	{flag: "group", names: []string{"groups", "groupcolumn", "groupcol", "groupkey"}},
}

// flagKey is name as flag names are compared across tools: lower case,
// without '-' or '_' ("random_state", "randomState" and "random-state"
// are all "randomstate").
func flagKey(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r != '-' && r != '_' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// aliasFlag returns the visible flag of c that name, a flag as another
// tool spells it, stands for: one of c's flags spelled another way
// ("--random_state", "--testSize"), else the first entry of flagAliases
// holding it; "" if c has no such flag.
func aliasFlag(c *cobra.Command, name string) string {
	key := flagKey(name)
	if key == "" {
		return ""
	}
	has := func(flag string) bool {
		f := c.Flags().Lookup(flag)
		return f != nil && !f.Hidden
	}
	same := ""
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if same == "" && !f.Hidden && flagKey(f.Name) == key {
			same = f.Name
		}
	})
	if same != "" {
		return same
	}
	for _, a := range flagAliases {
		if a.skip != c.Name() && has(a.flag) && slices.Contains(a.names, key) {
			return a.flag
		}
	}
	return ""
}

// shortAlias returns, for an unknown shorthand in group (the letters
// after one dash, from the unknown one on), the flag of c meant: a long
// name given one dash ("-seed 42", "-out=o"), or a letter other tools
// use ("-o", "-j", "-n"); "" if none.
func shortAlias(c *cobra.Command, letter, group string) string {
	if long, _, _ := strings.Cut(group, "="); len(long) > 1 {
		if f := aliasFlag(c, long); f != "" {
			return f
		}
	}
	return aliasFlag(c, letter)
}
