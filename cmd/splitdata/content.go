package main

import (
	"os"
	"strings"

	"github.com/spf13/pflag"
)

// allColumns is what --group-by-content holds when given without a list:
// compare every column.
const allColumns = "*"

// addGroupFlags registers --group (one column or several) and
// --group-by-content for the command that places noun ("split", "fold",
// "sample").
func (f *splitFlags) addGroupFlags(fl *pflag.FlagSet, noun, like string) {
	if noun == "sample" {
		fl.StringVar(&f.group, "group", "", "draw whole groups of rows with equal values of this column, or of these columns (A,B), about K rows in all: the groups whose first row ranks below K in (group key, row) order")
		fl.StringVar(&f.content, "group-by-content", "", "draw whole groups of rows with equal values in every column, or in the columns listed after '=' (--group-by-content=A,B): a duplicate is drawn with its copies")
		fl.Lookup("group-by-content").NoOptDefVal = allColumns
		return
	}
	fl.StringVar(&f.group, "group", "", "keep rows with equal values of this column, or of these columns (A,B: patient and visit), in one "+noun+like+"; a group's "+noun+" depends only on (seed, values)")
	fl.StringVar(&f.content, "group-by-content", "", "keep rows with equal values in every column, or in the columns listed after '=' (--group-by-content=A,B), in one "+noun+", so duplicates never straddle "+noun+"s; nulls equal, NaNs equal, -0.0 is 0.0; a first pass counts groups and duplicated rows for the manifest, beyond half of --memory through temporary files")
	fl.Lookup("group-by-content").NoOptDefVal = allColumns
}

// contentOptions returns the content grouping the flags ask for: whether
// rows are grouped by content and the columns compared (empty: all). A
// list given with a space (--group-by-content A,B) is read by the flag
// parser as an input: an INPUT that names no file then is a usage error
// that says to write the list after '='.
func (f *splitFlags) contentOptions(inputs []string) (bool, string, error) {
	switch f.content {
	case "":
		return false, "", nil
	case allColumns:
		for _, in := range inputs {
			if strings.ContainsAny(in, `/\*?[`) || strings.Contains(in, "://") {
				continue
			}
			if _, err := os.Stat(in); err != nil {
				return false, "", usagef("--group-by-content takes its columns after '=': --group-by-content=%s (%q is not an input)", in, in)
			}
		}
		return true, "", nil
	}
	return true, f.content, nil
}
