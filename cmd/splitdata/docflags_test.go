package main

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// docCommandLine matches a splitdata command in prose, a code block or a
// comment of the docs: the subcommand and what follows it on the line, up
// to the end of an inline code span, a comment, a quote or a shell operator.
var docCommandLine = regexp.MustCompile("\\bsplitdata ([a-z][a-z-]*)([^\\n`#\"|;&)]*)")

// TestDocsNameRealFlags checks that every flag written after a splitdata
// subcommand in the README and docs/*.md exists for that subcommand, so that
// a renamed or removed flag cannot live on in the docs. It runs nothing:
// TestComingFromCommands and TestPipelineDocs run their pages' commands.
func TestDocsNameRealFlags(t *testing.T) {
	pages, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	pages = append(pages, filepath.Join("..", "..", "README.md"))
	root := newRootCmd(io.Discard, &logger{w: io.Discard, format: "text"}, &runNotes{})
	commands := map[string]*cobra.Command{}
	for _, c := range root.Commands() {
		commands[c.Name()] = c
	}
	checked := 0
	for _, page := range pages {
		text, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(text), "\n") {
			for _, m := range docCommandLine.FindAllStringSubmatch(line, -1) {
				cmd, ok := commands[m[1]]
				if !ok {
					continue // prose: "splitdata writes", "splitdata is"
				}
				for _, flag := range docFlags(m[2]) {
					checked++
					if !hasFlag(cmd, flag) {
						t.Errorf("%s:%d: splitdata %s has no flag %s: %s", filepath.Base(page), i+1, m[1], flag, strings.TrimSpace(m[0]))
					}
				}
			}
		}
	}
	t.Logf("checked %d flags of splitdata commands in %d pages", checked, len(pages))
	if checked < 200 {
		t.Errorf("checked %d flags in the docs, want at least 200: is the pattern still finding the commands?", checked)
	}
}

// docFlags returns the flags among the words of a command's arguments: the
// words that start with "-", without a value given after "=".
func docFlags(args string) []string {
	var flags []string
	for _, w := range strings.Fields(args) {
		if !strings.HasPrefix(w, "-") || w == "-" || w == "--" {
			continue
		}
		name, _, _ := strings.Cut(w, "=")
		flags = append(flags, strings.TrimRight(name, ",.:"))
	}
	return flags
}

// hasFlag reports whether cmd takes flag ("--name" or "-x"), its own or
// inherited from the root.
func hasFlag(cmd *cobra.Command, flag string) bool {
	if name, ok := strings.CutPrefix(flag, "--"); ok {
		return cmd.Flags().Lookup(name) != nil || cmd.InheritedFlags().Lookup(name) != nil
	}
	short := strings.TrimPrefix(flag, "-")
	return len(short) == 1 && (cmd.Flags().ShorthandLookup(short) != nil || cmd.InheritedFlags().ShorthandLookup(short) != nil)
}
