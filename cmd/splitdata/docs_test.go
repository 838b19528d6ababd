package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// docTestMarker ends every line of docs/pipelines.md whose splitdata
// command TestPipelineDocs runs.
const docTestMarker = "# doc-test"

// pipelineSections are the sections of docs/pipelines.md that must each
// hold at least one tested command.
var pipelineSections = []string{
	"Airflow: KubernetesPodOperator",
	"Airflow: BashOperator",
	"Argo Workflows: one step",
	"Argo Workflows: a fan-out over shards, then merge",
	"Kubeflow Pipelines: a container component",
	"Dagster",
	"Slurm",
}

// docPlaceholders are the values the examples' templating (Airflow's
// macros, Kubeflow's artifact paths) stands for in the test.
var docPlaceholders = map[string]string{
	"{{ ds }}":    "2026-01-01",
	"data.path":   "/data/raw",
	"splits.path": "/data/kfp/splits",
	"result":      "/data/kfp/result.json",
	"seed":        "42",
}

// shardPlaceholders stand for a shard's index in a fan-out: the command
// runs once per shard of the section's plan.
var shardPlaceholders = []string{"{{item}}", "{{inputs.parameters.index}}"}

// docCommand is one tested command line of the docs.
type docCommand struct {
	line int
	args []string
}

// TestPipelineDocs runs, section by section, every splitdata command of
// docs/pipelines.md marked "# doc-test", in order, against generated data
// in a fresh directory standing for /data, so that the examples cannot rot.
// Each command must succeed; a command with --if-exists skip is run twice,
// as a retry would, and the second run must succeed too; every
// --result-json file must hold the rows read.
func TestPipelineDocs(t *testing.T) {
	sections, err := readDocCommands(filepath.Join("..", "..", "docs", "pipelines.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range pipelineSections {
		if len(sections[name]) == 0 {
			t.Errorf("docs/pipelines.md: section %q has no command marked %q", name, docTestMarker)
		}
	}
	for name, cmds := range sections {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			mustRun(t, root, "gen", "--rows", "2000", "--files", "3", "--out", filepath.Join(root, "data", "raw"), "--seed", "1", "-q")
			shards := 0
			for _, c := range cmds {
				args, err := localArgs(c.args, root)
				if err != nil {
					t.Fatalf("docs/pipelines.md:%d: %v", c.line, err)
				}
				if args[0] == "plan" {
					if shards, err = flagInt(args, "--shards"); err != nil {
						t.Fatalf("docs/pipelines.md:%d: %v", c.line, err)
					}
				}
				runs := [][]string{args}
				fanOut := slicesContainAny(args, shardPlaceholders)
				bySlurm := args[0] == "run-shard" && !fanOut && !contains(args, "--shard-index")
				if fanOut || bySlurm {
					if shards == 0 {
						t.Fatalf("docs/pipelines.md:%d: a shard's command before any plan --shards", c.line)
					}
					runs = nil
					for i := range shards {
						a := make([]string, len(args))
						for j, s := range args {
							for _, p := range shardPlaceholders {
								s = strings.ReplaceAll(s, p, strconv.Itoa(i))
							}
							a[j] = s
						}
						runs = append(runs, a)
					}
				}
				for i, a := range runs {
					if bySlurm {
						t.Setenv("SLURM_ARRAY_TASK_ID", strconv.Itoa(i))
					}
					mustRun(t, root, a...)
					if contains(a, "--if-exists") && flagValue(a, "--if-exists") == "skip" {
						mustRun(t, root, a...) // the orchestrator's retry
					}
					if path := flagValue(a, "--result-json"); path != "" && a[0] != "run-shard" {
						checkResult(t, path, 2000)
					}
				}
			}
		})
	}
}

// mustRun runs splitdata with args in-process and fails the test unless
// it exits 0.
func mustRun(t *testing.T, root string, args ...string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("splitdata %s: exit %d:\n%s", strings.Join(args, " "), code, strings.ReplaceAll(stderr.String(), root, ""))
	}
}

// checkResult checks a --result-json file.
func checkResult(t *testing.T, path string, rows int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r stepResult
	if err := json.Unmarshal(b, &r); err != nil || r.Rows != rows || r.Version == "" {
		t.Fatalf("%s: %v: %s", path, err, b)
	}
}

var sectionHeading = regexp.MustCompile(`^## (.+)$`)

// readDocCommands returns the tested commands of a Markdown file by the
// section (## heading) they are in.
func readDocCommands(path string) (map[string][]docCommand, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string][]docCommand{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if m := sectionHeading.FindStringSubmatch(line); m != nil {
			section = m[1]
			continue
		}
		i := strings.LastIndex(line, docTestMarker)
		if i < 0 || strings.TrimSpace(line[i+len(docTestMarker):]) != "" {
			continue
		}
		args, err := commandArgs(line[:i])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		out[section] = append(out[section], docCommand{n, args})
	}
	return out, sc.Err()
}

// commandArgs returns the splitdata arguments of a marked line: the first
// [...] list on it (an exec-form argument list, as in YAML, Python or JSON:
// double-quoted strings, and identifiers of docPlaceholders), or else the
// shell words after "splitdata ", up to a closing quote.
func commandArgs(line string) ([]string, error) {
	if i := strings.Index(line, "["); i >= 0 {
		var args []string
		rest := line[i+1:]
		for {
			rest = strings.TrimLeft(rest, " ")
			if strings.HasPrefix(rest, "]") {
				break
			}
			var item string
			if strings.HasPrefix(rest, `"`) {
				q, err := strconv.QuotedPrefix(rest)
				if err != nil {
					return nil, fmt.Errorf("argument list: %w", err)
				}
				item, _ = strconv.Unquote(q)
				rest = rest[len(q):]
			} else {
				j := strings.IndexAny(rest, ",]")
				if j < 0 {
					return nil, fmt.Errorf("no ] closes the argument list")
				}
				name := strings.TrimSpace(rest[:j])
				v, ok := docPlaceholders[name]
				if !ok {
					return nil, fmt.Errorf("argument %s: not a string, nor a placeholder the test knows", name)
				}
				item, rest = v, rest[j:]
			}
			args = append(args, item)
			rest = strings.TrimLeft(rest, " ")
			if strings.HasPrefix(rest, ",") {
				rest = rest[1:]
			} else if !strings.HasPrefix(rest, "]") {
				return nil, fmt.Errorf("argument list: want , or ] after %q", item)
			}
		}
		if len(args) > 0 && args[0] == "splitdata" {
			args = args[1:]
		}
		if len(args) == 0 {
			return nil, fmt.Errorf("empty argument list")
		}
		return args, nil
	}
	i := strings.Index(line, "splitdata ")
	if i < 0 {
		return nil, fmt.Errorf("no splitdata command")
	}
	rest := line[i+len("splitdata "):]
	if j := strings.IndexAny(rest, `"'`); j >= 0 {
		rest = rest[:j]
	}
	// Airflow's macros hold spaces: keep each {{ ... }} one word.
	for k, v := range docPlaceholders {
		if strings.HasPrefix(k, "{{") {
			rest = strings.ReplaceAll(rest, k, v)
		}
	}
	return strings.Fields(rest), nil
}

// localArgs resolves the placeholders of args and moves every absolute
// path (an argument, or a --flag=value) under root.
func localArgs(args []string, root string) ([]string, error) {
	out := make([]string, len(args))
	for i, a := range args {
		for k, v := range docPlaceholders {
			if strings.HasPrefix(k, "{{") {
				a = strings.ReplaceAll(a, k, v)
			}
		}
		rest := a
		for _, p := range shardPlaceholders {
			rest = strings.ReplaceAll(rest, p, "")
		}
		if strings.Contains(rest, "{{") {
			return nil, fmt.Errorf("argument %q: a placeholder the test does not know", a)
		}
		switch {
		case strings.HasPrefix(a, "/"):
			a = filepath.Join(root, a)
		case strings.HasPrefix(a, "--") && strings.Contains(a, "=/"):
			k, v, _ := strings.Cut(a, "=")
			a = k + "=" + filepath.Join(root, v)
		}
		out[i] = a
	}
	return out, nil
}

func flagValue(args []string, name string) string {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return ""
}

func flagInt(args []string, name string) (int, error) {
	v := flagValue(args, name)
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%s %q: %w", name, v, err)
	}
	return n, nil
}

func contains(args []string, s string) bool {
	for _, a := range args {
		if a == s {
			return true
		}
	}
	return false
}

func slicesContainAny(args, subs []string) bool {
	for _, a := range args {
		for _, s := range subs {
			if strings.Contains(a, s) {
				return true
			}
		}
	}
	return false
}

// TestPipelineDocsExitTable checks that the exit status table of
// docs/pipelines.md lists every status the help lists.
func TestPipelineDocsExitTable(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "pipelines.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []int{exitOK, exitFailure, exitUsage, exitTransient, exitInterrupted} {
		if !strings.Contains(string(b), fmt.Sprintf("\n| %d | ", code)) {
			t.Errorf("docs/pipelines.md: no row for exit status %d", code)
		}
	}
}
