package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/sources"
	"github.com/splitdata/splitdata/storage"
)

// runNotes carries what the checks before a command learn to the error
// report after it.
type runNotes struct {
	// mixedFormats is the hint for a schema mismatch when a directory input
	// holds files of more than one format ("" when none does).
	mixedFormats string
	// mergeDir is the DIR merge was given, for the hint naming the
	// run-shard command of the shards it misses.
	mergeDir string
}

// pathFlags are the flags that name local files or directories.
var pathFlags = []string{"out", "temp-dir", "plan"}

// urlScheme matches the scheme of a URL, as in hf://, s3:// or http://.
var urlScheme = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*)://`)

// checkCommandLine checks, before a command runs, the mistakes a new user
// makes with paths and seeds, and notes what the error report may need:
// URLs (splitdata reads and writes local paths only), --out - or an --out
// that exists and is not a directory, and a --seed that is text.
func checkCommandLine(cmd *cobra.Command, args []string, log *logger, notes *runNotes) error {
	log.command = cmd.Name()
	buckets := bucketCommands[cmd.Name()]
	for _, a := range args {
		if err := checkURL("input", a, buckets); err != nil {
			return err
		}
	}
	for _, name := range pathFlags {
		fl := cmd.Flags().Lookup(name)
		if fl == nil || !fl.Changed {
			continue
		}
		if err := checkURL("--"+name, fl.Value.String(), buckets); err != nil {
			return err
		}
	}
	// report's --out is the page it writes (replaced), not a directory.
	if fl := cmd.Flags().Lookup("out"); fl != nil && fl.Changed && cmd.Name() != "report" {
		if err := checkOut(fl.Value.String()); err != nil {
			return err
		}
	}
	if fl := cmd.Flags().Lookup("seed"); fl != nil && fl.Changed && !quiet(cmd) {
		seed := prng.Seed(fl.Value.String())
		if note := seed.Note(); note != "" {
			v, _ := seed.Int()
			log.info(note, "seed", v.String(), "seed_text", fl.Value.String())
		}
	}
	if cmd.Name() == "merge" && len(args) == 1 {
		notes.mergeDir = args[0]
	}
	if fl := cmd.Flags().Lookup("input-format"); fl != nil && fl.Value.String() == "" {
		notes.mixedFormats = mixedFormatsHint(args)
	}
	return nil
}

// quiet reports whether the command was given --quiet.
func quiet(cmd *cobra.Command) bool {
	fl := cmd.Flags().Lookup("quiet")
	return fl != nil && fl.Value.String() == "true"
}

// bucketCommands are the commands whose INPUTs and path flags may be
// object-store URLs (s3://, gs://, az://) or file:// URLs.
var bucketCommands = map[string]bool{
	"split": true, "shuffle": true, "sample": true, "kfold": true,
	"verify": true, "inspect": true, "clean": true,
	"plan": true, "run-shard": true, "merge": true,
}

// checkURL refuses a URL given as kind (input, --out) where splitdata
// cannot take it: it would
// otherwise be read as a missing file or created as a directory "hf:".
// With buckets, s3://, gs://, az:// and file:// URLs are checked
// (scheme, bucket, parameters) before any request is made.
func checkURL(kind, path string, buckets bool) error {
	m := urlScheme.FindStringSubmatch(path)
	if m == nil {
		return nil
	}
	scheme := strings.ToLower(m[1])
	what := fmt.Sprintf("%s %q", kind, path)
	switch {
	case buckets && slices.Contains([]string{storage.SchemeS3, storage.SchemeGCS, storage.SchemeAzure, storage.SchemeFile}, scheme):
		// The URL is not repeated: Parse names it without what may be
		// a credential.
		_, err := parseLocation(kind, path)
		return err
	case buckets:
		return usagef("%s: %s:// URLs are not supported: name a local path, or an s3://, gs://, az:// or file:// URL", what, scheme)
	}
	return usagef("%s: %s:// URLs are not supported yet by %s: it reads and writes local paths only; copy or mount the data locally first", what, scheme, "this command")
}

// checkOut refuses an --out that cannot be an output directory: "-", which
// would be a directory named "-" rather than stdout, and an existing path
// that is not a directory (a file or a device such as /dev/stdout), which
// --overwrite does not replace.
func checkOut(out string) error {
	if out == "-" {
		return usagef("--out -: splitdata writes a directory of files, not to stdout: name one with --out DIR (--json prints the manifest on stdout)")
	}
	st, err := os.Stat(out)
	if err != nil || st.IsDir() {
		return nil // created by the command, or checked by it
	}
	what := "a file, which splitdata never replaces"
	if !st.Mode().IsRegular() {
		what = "a device or special file"
	}
	return usagef("--out %s: not a directory (%s): name a directory with --out DIR", out, what)
}

// mixedFormatsHint returns the hint for a directory input holding files of
// more than one format, the usual cause of a schema mismatch: a stray
// notes.csv beside the Parquet files. "" when no directory does.
func mixedFormatsHint(args []string) string {
	for _, a := range args {
		if st, err := os.Stat(a); err != nil || !st.IsDir() {
			continue
		}
		paths, err := pipeline.ResolveInputs([]string{a}, "")
		if err != nil {
			continue
		}
		byFormat := map[string][]string{}
		for _, p := range paths {
			f, _ := sources.FormatOf(filepath.Base(p))
			byFormat[f] = append(byFormat[f], p)
		}
		if len(byFormat) < 2 {
			continue
		}
		formats := make([]string, 0, len(byFormat))
		for f := range byFormat {
			formats = append(formats, f)
		}
		// The format of most files first, that is the data and the rest are
		// strays; on a tie the order of sources.Formats, Parquet first.
		sort.SliceStable(formats, func(i, j int) bool {
			if len(byFormat[formats[i]]) != len(byFormat[formats[j]]) {
				return len(byFormat[formats[i]]) > len(byFormat[formats[j]])
			}
			return slices.Index(sources.Formats(), formats[i]) < slices.Index(sources.Formats(), formats[j])
		})
		main := formats[0]
		var strays []string
		for _, f := range formats[1:] {
			names := byFormat[f]
			shown := make([]string, 0, 3)
			for _, p := range names[:min(3, len(names))] {
				rel, err := filepath.Rel(a, p)
				if err != nil {
					rel = p
				}
				shown = append(shown, filepath.ToSlash(rel))
			}
			if len(names) > 3 {
				shown = append(shown, fmt.Sprintf("and %d more", len(names)-3))
			}
			strays = append(strays, f+": "+strings.Join(shown, ", "))
		}
		dir := strings.TrimSuffix(filepath.ToSlash(a), "/")
		return fmt.Sprintf("%s holds %s files (%s): a directory takes every file of a known format; read one format with --input-format %s or a glob such as '%s/*%s'",
			dir, joinAnd(formats), strings.Join(strays, "; "), main, dir, filepath.Ext(byFormat[main][0]))
	}
	return ""
}

// joinAnd joins words as "a and b" or "a, b and c".
func joinAnd(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
