package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/splitdata/splitdata/splitter"
)

// ErrOutputDiffers reports a committed output that is not what a rerun of
// a job would write: other options, seed, inputs or version, or files
// that no longer match their manifest.
var ErrOutputDiffers = errors.New("existing output is not this job's")

// Committed reports whether cfg.Out holds the committed output of this
// very split, so that a rerun (an orchestrator's retry of a step whose
// success was lost) can stop at once: it returns the output's manifest
// when the manifest records the same command, options and seed, this
// version of splitdata, and inputs that are the same files, unchanged (the
// same paths, sizes, modification times and SHA-256 of their first and
// last MiB, as a plan records them) and the same objects ([ObjectInput]
// Sources: the same names, locations, versions and sizes); with hashes,
// every output file is hashed again as well ([Verify]). It returns nil
// and no error when cfg.Out holds no manifest (nothing committed: run the
// job), and an error wrapping [ErrOutputDiffers] that names every
// difference otherwise: an input added, gone or changed among them. Other
// Sources (files of an fs.FS, readers, sources) have no identity a rerun
// can check, so an output made from them is always named as different.
// The inputs' rows are not read, nor are objects: their versions are the
// ones their ObjectInputs carry. The seed must be given: a job without
// one draws a fresh seed, so no earlier output can be its own.
func (cfg SplitConfig) Committed(ctx context.Context, hashes bool) (*Manifest, error) {
	return committed(ctx, cfg, job{command: "split"}, hashes)
}

// Committed is [SplitConfig.Committed] for a k-fold job.
func (cfg KFoldConfig) Committed(ctx context.Context, hashes bool) (*Manifest, error) {
	if cfg.OrderBy != "" || cfg.TimeSeries || cfg.Repeats > 1 {
		return committedOrdered(ctx, cfg, hashes) // place_order_kfold.go
	}
	// As KFold builds the job.
	splits := make([]splitter.Split, max(cfg.K, 0))
	resize := kfoldSizes
	for j := range splits {
		splits[j] = splitter.Split{Name: fmt.Sprintf("fold-%d", j), Rows: 1}
		if cfg.groupedByGroups() {
			splits[j] = splitter.Split{Name: splits[j].Name, Ratio: 1 / float64(cfg.K)}
			resize = nil
		}
	}
	return committed(ctx, SplitConfig{
		Inputs: cfg.Inputs, Out: cfg.Out, Seed: cfg.Seed, Splits: splits,
		Shuffle: cfg.Shuffle, IndexOnly: cfg.IndexOnly, Compat: cfg.Compat,
		Stratify: cfg.Stratify, Group: cfg.Group, RatioBy: cfg.RatioBy,
		GroupByContent: cfg.GroupByContent, ContentColumns: cfg.ContentColumns,
		JobOptions: cfg.JobOptions,
	}, job{command: "kfold", resize: resize, materialize: cfg.Materialize}, hashes)
}

// Committed is [SplitConfig.Committed] for a sample.
func (cfg SampleConfig) Committed(ctx context.Context, hashes bool) (*Manifest, error) {
	// As Sample builds the job.
	return committed(ctx, cfg.split(), job{command: "sample", flat: true, resize: sampleSizes(cfg.Fraction, cfg.Replace), replace: cfg.Replace}, hashes)
}

// Committed is [SplitConfig.Committed] for a shuffle.
func (cfg ShuffleConfig) Committed(ctx context.Context, hashes bool) (*Manifest, error) {
	// As Shuffle builds the job.
	return committed(ctx, SplitConfig{
		Inputs: cfg.Inputs, Out: cfg.Out, Seed: cfg.Seed,
		Splits:  []splitter.Split{{Name: ShuffleName, Ratio: 1}},
		Shuffle: true, Compat: cfg.Compat, JobOptions: cfg.JobOptions,
	}, job{command: "shuffle", flat: true, epoch: cfg.Epoch}, hashes)
}

// Committed reports whether cfg.Dir holds the merged output of its plan,
// as [SplitConfig.Committed] does for a split: the manifest must record
// the plan's seed, options and inputs (with their identity) and this
// version of splitdata. It returns nil and no error when the directory
// is not merged yet.
func (cfg MergeConfig) Committed(ctx context.Context, hashes bool) (*Manifest, error) {
	d := outputFiles{dir: cfg.Dir, fsys: cfg.OutputFS}
	m, err := readCommitted(d)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, err
	}
	p, err := readPlanOf(d)
	if err != nil {
		return nil, err
	}
	var diffs []string
	if m.Version != Version || m.Algorithm != AlgorithmVersion {
		diffs = append(diffs, fmt.Sprintf("written by splitdata %s (algorithm %d), this is %s (algorithm %d)", m.Version, m.Algorithm, Version, AlgorithmVersion))
	}
	if m.Seed != p.Seed {
		diffs = append(diffs, fmt.Sprintf("seed %s, the plan's is %s", m.Seed, p.Seed))
	}
	diffs = append(diffs, optionDiffs(m.Options, p.Options)...)
	sameInput := func(a, b InputInfo) bool {
		return a.Path == b.Path && a.Size == b.Size && a.Rows == b.Rows && a.ModTime.Equal(b.ModTime) && a.EndsSHA256 == b.EndsSHA256 &&
			a.Location == b.Location && a.Version == b.Version
	}
	if !slices.EqualFunc(m.Inputs, p.inputInfos(), sameInput) {
		diffs = append(diffs, "inputs other than the plan's")
	}
	return differs(ctx, d, m, diffs, hashes)
}

// differs returns m when there are no differences (and, with hashes, the
// output d matches its manifest), else an error wrapping
// [ErrOutputDiffers] naming them.
func differs(ctx context.Context, d outputFiles, m *Manifest, diffs []string, hashes bool) (*Manifest, error) {
	dir := d.dir
	if len(diffs) == 0 && hashes {
		if _, err := verifyWith(ctx, d, nil, nil, DefaultMemoryLimit, noProgress{}); err != nil {
			if !errors.Is(err, ErrVerify) {
				return nil, err
			}
			diffs = append(diffs, err.Error())
		}
	}
	if len(diffs) > 0 {
		return nil, fmt.Errorf("%w: %s: %s", ErrOutputDiffers, dir, strings.Join(diffs, "; "))
	}
	return m, nil
}

// committed compares the output at cfg.Out with the job (cfg, jb).
func committed(ctx context.Context, cfg SplitConfig, jb job, hashes bool) (*Manifest, error) {
	if cfg.Seed == "" {
		return nil, fmt.Errorf("%w: a rerun check needs the seed: without one a job draws a fresh seed, so no earlier output is its own", ErrUsage)
	}
	out := outputFiles{dir: cfg.Out, fsys: cfg.OutputFS}
	m, err := readCommitted(out)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, err
	}
	var diffs []string
	differ := func(format string, args ...any) { diffs = append(diffs, fmt.Sprintf(format, args...)) }
	if m.Version != Version || m.Algorithm != AlgorithmVersion {
		differ("written by splitdata %s (algorithm %d), this is %s (algorithm %d)", m.Version, m.Algorithm, Version, AlgorithmVersion)
	}
	if m.Command != jb.command {
		differ("written by %s, this is %s", m.Command, jb.command)
	}
	seed, err := resolveSeed(string(cfg.Seed))
	if err != nil {
		return nil, err
	}
	if m.Seed != seed.value.String() {
		differ("seed %s, this run's is %s", m.Seed, seed.value.String())
	}

	// The options as the job would record them, with n taken from the
	// manifest: equal inputs have equal rows.
	cfg = cfg.withDefaults()
	if jb.resize != nil {
		if cfg.Splits, err = jb.resize(cfg.Splits, m.Rows); err != nil {
			return nil, err
		}
	}
	if cfg.TrainTest != nil {
		if cfg.Splits, err = cfg.TrainTest.Splits(m.Rows); err != nil {
			return nil, err
		}
	}
	if cfg.grouped() && cfg.RatioBy != RatioByRows {
		cfg.Approx = true
	}
	diffs = append(diffs, optionDiffs(m.Options, manifestOptions(cfg, jb))...)

	now, err := rerunInputs(cfg)
	if err != nil {
		return nil, err
	}
	diffs = append(diffs, inputDiffs(m.Inputs, now)...)

	return differs(ctx, out, m, diffs, hashes)
}

// readPlanOf reads and checks the plan of the sharded job d.
func readPlanOf(d outputFiles) (*Plan, error) {
	if d.fsys == nil {
		p, _, err := ReadPlan(filepath.Join(d.dir, PlanName))
		return p, err
	}
	name := d.name(PlanName)
	f, size, err := d.open(PlanName)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer f.Close()
	if size > MaxPlanBytes {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d a plan may have", name, size, MaxPlanBytes)
	}
	data, err := io.ReadAll(io.LimitReader(f, size))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p, err := ParsePlan(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

// readCommitted reads the manifest of the output d, an error wrapping
// [fs.ErrNotExist] when it has none.
func readCommitted(d outputFiles) (*Manifest, error) {
	if d.fsys == nil {
		return ReadManifest(d.dir)
	}
	return readManifestInside(d)
}

// optionDiffs names the options whose values differ, by their names in
// the manifest.
func optionDiffs(have, want ManifestOptions) []string {
	a, errA := jsonFields(have)
	b, errB := jsonFields(want)
	if errA != nil || errB != nil {
		return []string{"options cannot be compared"}
	}
	var names []string
	for k := range a {
		names = append(names, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	var diffs []string
	for _, k := range names {
		if !bytes.Equal(a[k], b[k]) {
			diffs = append(diffs, fmt.Sprintf("option %s is %s, this run's is %s", k, orNone(a[k]), orNone(b[k])))
		}
	}
	return diffs
}

// jsonFields returns v's JSON object fields, each compacted.
func jsonFields(v any) (map[string][]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(raw))
	for k, v := range raw {
		var buf bytes.Buffer
		if err := json.Compact(&buf, v); err != nil {
			return nil, err
		}
		out[k] = buf.Bytes()
	}
	return out, nil
}

func orNone(b []byte) string {
	if b == nil {
		return "unset"
	}
	return string(b)
}

// rerunInput is an input of a rerun as its check sees it, in the job's
// order: a local file (its path), an object (its reference, from the
// ObjectInput: no request is made) or another caller's value, which
// has no identity to compare.
type rerunInput struct {
	name   string
	object *objectRef
	value  bool
}

// rerunInputs lists the inputs of the job cfg, as openJobInputs opens
// them: the files of cfg.Inputs, then cfg.Sources.
func rerunInputs(cfg SplitConfig) ([]rerunInput, error) {
	var out []rerunInput
	if len(cfg.Inputs) > 0 || len(cfg.Sources) == 0 {
		paths, err := ResolveInputs(cfg.Inputs, cfg.InputFormat)
		if err != nil {
			return nil, err
		}
		for _, p := range paths {
			out = append(out, rerunInput{name: p})
		}
	}
	for _, src := range cfg.Sources {
		out = append(out, rerunInput{name: src.name, object: src.object, value: src.object == nil})
	}
	return out, nil
}

// inputDiffs compares the inputs a manifest records with the inputs of
// the rerun now: those added or gone (a file or object put in or removed
// from an input directory or prefix), their order, and each one's
// identity.
func inputDiffs(have []InputInfo, now []rerunInput) []string {
	var diffs []string
	if len(have) != len(now) {
		diffs = append(diffs, fmt.Sprintf("%d inputs, this run has %d", len(have), len(now)))
	}
	recorded := make(map[string]int, len(have))
	for i, in := range have {
		recorded[in.Path] = i
	}
	current := make(map[string]bool, len(now))
	for _, in := range now {
		current[in.name] = true
	}
	var kept []string // the recorded inputs still there, in the manifest's order
	for _, in := range have {
		if current[in.Path] {
			kept = append(kept, in.Path)
		} else {
			diffs = append(diffs, fmt.Sprintf("input %s is gone (the output was made from it)", in.Path))
		}
	}
	var same []string // the same, in this run's order
	for _, in := range now {
		i, ok := recorded[in.name]
		if !ok {
			diffs = append(diffs, fmt.Sprintf("input %s is new (the output was not made from it)", in.name))
			continue
		}
		same = append(same, in.name)
		diffs = append(diffs, inputDiff(have[i], in)...)
	}
	if !slices.Equal(kept, same) {
		diffs = append(diffs, "the inputs come in another order (rows follow their inputs' order)")
	}
	return diffs
}

// inputDiff compares the input want a manifest records with the input of
// the same name now.
func inputDiff(want InputInfo, now rerunInput) []string {
	path := now.name
	switch {
	case now.value:
		return []string{fmt.Sprintf("input %s: given as a value (not a file or a bucket object), whose contents a rerun cannot identify", path)}
	case now.object != nil:
		return objectDiff(want, now.object, path)
	case want.Location != "":
		return []string{fmt.Sprintf("input %s: the output was made from a bucket object of that name, this run reads a local file", path)}
	case want.EndsSHA256 == "":
		return []string{fmt.Sprintf("input %s: the manifest records no identity of its contents (an older splitdata wrote it), so a change cannot be ruled out", path)}
	}
	st, err := os.Stat(path)
	if err != nil {
		return []string{fmt.Sprintf("input %s: %v", path, err)}
	}
	got, err := planInput(InputInfo{Path: path, Size: st.Size(), Rows: want.Rows})
	if err != nil {
		return []string{fmt.Sprintf("input %s: %v", path, err)}
	}
	var what []string
	if got.Size != want.Size {
		what = append(what, fmt.Sprintf("%d bytes, the output was made from %d", got.Size, want.Size))
	}
	if got.EndsSHA256 != want.EndsSHA256 {
		what = append(what, fmt.Sprintf("other contents (sha256 of its first and last MiB %.12s, the output was made from %.12s)", got.EndsSHA256, want.EndsSHA256))
	}
	if !got.ModTime.Equal(want.ModTime) {
		what = append(what, fmt.Sprintf("modified at %s, the output was made from the file of %s", got.ModTime.Format(time.RFC3339Nano), want.ModTime.Format(time.RFC3339Nano)))
	}
	if len(what) > 0 {
		return []string{fmt.Sprintf("input %s changed: %s", path, strings.Join(what, ", "))}
	}
	return nil
}

// objectDiff compares the object input want a manifest records with the
// object ref named path now: its version (which stands for its contents)
// and size, and the location it is opened at. The location is not shown,
// as messages show no URL parameters; the name is the same.
func objectDiff(want InputInfo, ref *objectRef, path string) []string {
	switch {
	case want.Location == "":
		return []string{fmt.Sprintf("input %s: the manifest records no version of it (a local file of that name, or an older splitdata), so a change cannot be ruled out", path)}
	case ref.version == "":
		return []string{fmt.Sprintf("input %s: the store gives no version of it (no ETag or generation), so a change cannot be ruled out", path)}
	}
	var what []string
	if ref.version != want.Version {
		what = append(what, fmt.Sprintf("version %s, the output was made from version %s", ref.version, want.Version))
	}
	if ref.size != want.Size {
		what = append(what, fmt.Sprintf("%d bytes, the output was made from %d", ref.size, want.Size))
	}
	if ref.location != want.Location {
		what = append(what, "opened with other URL parameters (endpoint, region, path style) than the output's")
	}
	if len(what) > 0 {
		return []string{fmt.Sprintf("input %s changed: %s", path, strings.Join(what, ", "))}
	}
	return nil
}
