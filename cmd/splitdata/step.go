package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/splitdata/splitdata/pipeline"
)

// The values of --if-exists.
const (
	ifExistsError     = "error"
	ifExistsSkip      = "skip"
	ifExistsOverwrite = "overwrite"
)

// stepFlags are the flags that make a command a well-behaved step of an
// orchestrated pipeline (Airflow, Argo Workflows, Kubeflow, Dagster): a
// result file for the next step, and a rerun that recognises its own
// committed output.
type stepFlags struct {
	resultJSON     string
	ifExists       string
	verifyExisting bool
	// skipped is set when --if-exists skip found the job's output.
	skipped bool
}

// addFlags registers --result-json, --if-exists and --verify-existing.
func (s *stepFlags) addFlags(fl *pflag.FlagSet) {
	s.addResultFlag(fl)
	fl.StringVar(&s.ifExists, "if-exists", ifExistsError, "when the output (--out; merge: DIR) holds a committed output: error; overwrite (as --overwrite); or skip: exit 0 at once if its manifest records this job (same command, options, seed, splitdata version, and unchanged inputs: paths, sizes, modification times, SHA-256 of each input's first and last MiB; for bucket objects, URLs, versions and sizes), else fail naming the difference (recommended for orchestrated pipelines, whose retries rerun a step that succeeded)")
	fl.BoolVar(&s.verifyExisting, "verify-existing", false, "with --if-exists skip: also rehash every file of the existing output against its manifest before skipping")
}

// addResultFlag registers --result-json alone (run-shard, merge).
func (s *stepFlags) addResultFlag(fl *pflag.FlagSet) {
	fl.StringVar(&s.resultJSON, "result-json", "", "after success, write a small JSON summary (rows, splits with rows, files and bytes, seed, manifest path, version) to this file, atomically: e.g. /airflow/xcom/return.json, or an Argo or Kubeflow output parameter's file")
}

// check checks the flags' values and how they combine with --overwrite,
// and returns whether the output may be replaced.
func (s *stepFlags) check(overwrite bool) (bool, error) {
	switch s.ifExists {
	case ifExistsError, ifExistsSkip, ifExistsOverwrite:
	default:
		return false, usagef("--if-exists %q: want error, skip or overwrite", s.ifExists)
	}
	if overwrite && s.ifExists == ifExistsSkip {
		return false, usagef("--overwrite and --if-exists skip contradict each other: give one")
	}
	if s.verifyExisting && s.ifExists != ifExistsSkip {
		return false, usagef("--verify-existing goes with --if-exists skip")
	}
	return overwrite || s.ifExists == ifExistsOverwrite, nil
}

// committer is a job configuration that can tell its own committed output.
type committer interface {
	Committed(ctx context.Context, hashes bool) (*pipeline.Manifest, error)
}

// runStep runs job with cfg, unless --if-exists skip finds its output
// already committed: then it returns that output's manifest.
func runStep[C committer](ctx context.Context, s *stepFlags, log *logger, out string, cfg C,
	job func(context.Context, C) (*pipeline.Manifest, error)) (*pipeline.Manifest, error) {
	if s.ifExists == ifExistsSkip {
		m, err := cfg.Committed(ctx, s.verifyExisting)
		if err != nil {
			return nil, err
		}
		if m != nil {
			s.skipped = true
			log.info(fmt.Sprintf("%s already holds this job's output (created %s): nothing to do (--if-exists skip)",
				out, m.Created.Format("2006-01-02T15:04:05Z")), "skipped", true)
			return m, nil
		}
	}
	return job(ctx, cfg)
}

// stepResult is what --result-json writes: enough for the next step of a
// pipeline to find and size the output without reading the manifest.
type stepResult struct {
	Command    string        `json:"command"`
	Version    string        `json:"version"`
	Algorithm  int           `json:"algorithm"`
	Seed       string        `json:"seed,omitempty"`
	Out        string        `json:"out"`
	Manifest   string        `json:"manifest,omitempty"`
	Rows       int64         `json:"rows"`
	Unassigned int64         `json:"unassigned_rows,omitempty"`
	Skipped    bool          `json:"skipped"`
	Splits     []splitResult `json:"splits,omitempty"`
	// Plan is the plan file of plan and run-shard; Shards, the number of
	// shards planned (for a fan-out over them).
	Plan   string `json:"plan,omitempty"`
	Shards int    `json:"shards,omitempty"`
	// Shard and Groups describe a run-shard step: the shard run and the
	// row groups it wrote.
	Shard  *int `json:"shard,omitempty"`
	Groups int  `json:"row_groups,omitempty"`
}

// splitResult is one split of a [stepResult].
type splitResult struct {
	Name  string `json:"name"`
	Dir   string `json:"dir"`
	Rows  int64  `json:"rows"`
	Files int    `json:"files"`
	Bytes int64  `json:"bytes"`
}

// manifestResult is the result of a job that wrote (or found) the output
// at out with manifest m.
func manifestResult(command, out string, m *pipeline.Manifest, skipped bool) stepResult {
	r := stepResult{
		Command: command, Version: m.Version, Algorithm: m.Algorithm, Seed: m.Seed,
		Out: out, Manifest: joinLocation(out, pipeline.ManifestName),
		Rows: m.Rows, Unassigned: m.Unassigned, Skipped: skipped,
	}
	for _, s := range m.Splits {
		dir := joinLocation(out, s.Name)
		if len(m.Splits) == 1 && len(s.Files) > 0 && !strings.Contains(s.Files[0].Path, "/") {
			dir = out // sample and shuffle write their one output flat
		}
		r.Splits = append(r.Splits, splitResult{Name: s.Name, Dir: dir, Rows: s.Rows, Files: len(s.Files), Bytes: s.Bytes()})
	}
	return r
}

// writeResult writes r as JSON to path, atomically: a reader (an
// orchestrator collecting the step's result) sees the whole file or none.
// Missing parent directories are created.
func writeResult(path string, r stepResult) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if err := writeFileAtomic(path, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
		return fmt.Errorf("--result-json %s: %w", path, err)
	}
	return nil
}

// errorClasses are the values of error_class in --log-format json, by exit
// status.
var errorClasses = map[int]string{
	exitFailure:     "failure",
	exitUsage:       "usage",
	exitTransient:   "transient",
	exitInterrupted: "interrupted",
}

// errorClass names the class of a failure with exit status code: "input"
// for bad input (exit 1 too, but worth telling apart from other failures).
func errorClass(code int, err error) string {
	if code == exitFailure && isInputError(err) {
		return "input"
	}
	if c, ok := errorClasses[code]; ok {
		return c
	}
	return "failure"
}
