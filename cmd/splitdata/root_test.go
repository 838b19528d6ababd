package main

import (
	"io"
	"testing"

	"github.com/spf13/pflag"
)

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "out", 3},
		{"ratio", "ratios", 1},
		{"seeds", "seed", 1},
		{"wokrers", "workers", 2},
		{"stratified", "stratify", 3},
		{"output", "out", 3},
		{"kitten", "sitting", 3},
	} {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := editDistance(tt.b, tt.a); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestFlagKey(t *testing.T) {
	for _, tt := range []struct{ name, want string }{
		{"random-state", "randomstate"},
		{"random_state", "randomstate"},
		{"randomState", "randomstate"},
		{"N_SPLITS", "nsplits"},
		{"k", "k"},
		{"--", ""},
	} {
		if got := flagKey(tt.name); got != tt.want {
			t.Errorf("flagKey(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestFlagAliasesNameRealFlags checks the alias table against the
// commands: each entry leads to a visible flag of some command and skips
// a real command, its names are as flagKey spells them (else they never
// match), every flag of a command stands for itself, and every alias
// leads, in each command, to one of its visible flags or to none.
func TestFlagAliasesNameRealFlags(t *testing.T) {
	root := newRootCmd(io.Discard, &logger{w: io.Discard, format: "text"}, &runNotes{})
	flags := map[string]bool{}    // visible flags of any command
	commands := map[string]bool{} // command names
	for _, c := range root.Commands() {
		commands[c.Name()] = true
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Hidden {
				return
			}
			flags[f.Name] = true
			if got := aliasFlag(c, f.Name); got != f.Name {
				t.Errorf("%s --%s stands for --%s", c.Name(), f.Name, got)
			}
		})
		for _, a := range flagAliases {
			for _, n := range a.names {
				got := aliasFlag(c, n)
				if f := c.Flags().Lookup(got); got != "" && (f == nil || f.Hidden) {
					t.Errorf("%s --%s: suggests --%s, not a visible flag of the command", c.Name(), n, got)
				}
			}
		}
	}
	for _, a := range flagAliases {
		if !flags[a.flag] {
			t.Errorf("alias entry for --%s: no command has that flag", a.flag)
		}
		if a.skip != "" && !commands[a.skip] {
			t.Errorf("alias entry for --%s: skips %q, no command", a.flag, a.skip)
		}
		for _, n := range a.names {
			if flagKey(n) != n {
				t.Errorf("alias %q of --%s: not as flagKey spells it (%q): it never matches", n, a.flag, flagKey(n))
			}
		}
	}
}
