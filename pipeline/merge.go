package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/splitdata/splitdata/sinks"
	"github.com/splitdata/splitdata/sources"
)

// MergeConfig describes a merge.
type MergeConfig struct {
	// Dir is the sharded job's directory, holding plan.json.
	Dir string
	// Progress, if not nil, receives the merge's progress.
	Progress Progress
}

// Merge checks that every shard of the plan in cfg.Dir finished and wrote
// what the plan says, then writes the final files and manifest: the same
// names and bytes as [Split] with the plan's options (only the manifest's
// created time differs). The directory is replaced atomically by the
// merged output (plan.json kept, shard outputs gone). A missing or damaged
// shard is an error wrapping [ErrShards] that lists them.
func Merge(ctx context.Context, cfg MergeConfig) (*Manifest, error) {
	if cfg.Progress == nil {
		cfg.Progress = noProgress{}
	}
	lock, err := lockOutput(cfg.Dir)
	if err != nil {
		return nil, err
	}
	defer lock.unlock()
	p, data, err := ReadPlan(filepath.Join(cfg.Dir, PlanName))
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(cfg.Dir, ManifestName)); err == nil {
		return nil, fmt.Errorf("%w: %s is already merged (it has a manifest)", ErrOutputExists, cfg.Dir)
	}
	sum := sha256.Sum256(data)
	planSum := hex.EncodeToString(sum[:])
	// Check every shard's record first, so that all problems are named at once.
	nsplits := len(p.Options.Splits)
	groupFiles := make([][]string, nsplits) // [split][seq] path of the group file
	groupSums := make([][]string, nsplits)
	for s := range nsplits {
		total := int64(0)
		for _, u := range p.Units {
			total += u.Counts[s]
		}
		n := len(layoutGroups(total, p.Options.RowsPerFile, p.Options.RowGroupRows))
		groupFiles[s], groupSums[s] = make([]string, n), make([]string, n)
	}
	var problems []string
	for k := range p.Shards {
		w := p.work(k)
		dir := filepath.Join(cfg.Dir, shardsDir, shardName(k))
		done, err := readShardDone(filepath.Join(dir, "done.json"))
		switch {
		case errors.Is(err, os.ErrNotExist):
			problems = append(problems, fmt.Sprintf("shard %d: not finished (no %s)", k, filepath.Join(dir, "done.json")))
			continue
		case err != nil:
			problems = append(problems, fmt.Sprintf("shard %d: %v", k, err))
			continue
		case done.PlanSHA256 != planSum || done.Shard != k:
			problems = append(problems, fmt.Sprintf("shard %d: ran another plan (or shard); run it again", k))
			continue
		}
		byPath := make(map[string]FileInfo, len(done.Groups))
		for _, g := range done.Groups {
			byPath[g.Path] = g
		}
		for s, groups := range w.groups {
			for _, g := range groups {
				rel := p.Options.Splits[s].Name + "/" + shardGroupName(g.seq)
				info, ok := byPath[rel]
				if !ok || info.Rows != g.to-g.from {
					problems = append(problems, fmt.Sprintf("shard %d: row group %s missing or of the wrong size; run it again", k, rel))
					continue
				}
				groupFiles[s][g.seq] = filepath.Join(dir, filepath.FromSlash(rel))
				groupSums[s][g.seq] = info.SHA256
			}
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %d of %d shards:\n  %s", ErrShards, countShards(problems), len(p.Shards), strings.Join(problems, "\n  "))
	}

	first := p.Inputs[0].Path
	if !filepath.IsAbs(first) {
		first = filepath.Join(p.Dir, first)
	}
	in, err := sources.Open(first, p.Options.inputOptions())
	if err != nil {
		return nil, err
	}
	schema, kv := in.Schema(), keyValues(in)
	in.Close()
	switch {
	case p.Options.IndexOnly:
		schema, kv = IndexSchema, nil
	case p.Options.RowIndexColumn != "":
		if schema, _, err = withRowIndex(schema, p.Options.RowIndexColumn); err != nil {
			return nil, err
		}
	}
	enc, err := sinks.NewRowGroupEncoder(schema, p.Options.Parquet)
	if err != nil {
		return nil, err
	}
	stage, err := newStaging(cfg.Dir, true)
	if err != nil {
		return nil, err
	}
	defer stage.cleanup()
	cfg.Progress.Phase("merge", p.Rows-p.Unassigned)
	e := &engine{format: sinks.Parquet(p.Options.Parquet), schema: schema, kv: kv, stage: stage, names: splitNames(p.Options.Splits)}
	splits := make([]SplitInfo, nsplits)
	for s := range nsplits {
		splits[s].Name = e.names[s]
		total := int64(0)
		for _, u := range p.Units {
			total += u.Counts[s]
		}
		groups := layoutGroups(total, p.Options.RowsPerFile, p.Options.RowGroupRows)
		if len(groups) == 0 {
			groups = []groupSpan{{seq: -1}} // one empty file
		}
		var fw *fileWriter
		for i, g := range groups {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if fw == nil {
				if fw, err = e.createFile(s, g.file); err != nil {
					return nil, err
				}
			}
			if g.seq >= 0 {
				rg, err := loadGroup(enc, groupFiles[s][g.seq], groupSums[s][g.seq])
				if err != nil {
					fw.f.Close()
					return nil, err
				}
				if err := fw.pw.Append(rg); err != nil {
					fw.f.Close()
					return nil, fmt.Errorf("write %s: %w", fw.rel, err)
				}
				fw.rows += rg.NumRows()
				cfg.Progress.Add(rg.NumRows())
			}
			if i+1 == len(groups) || groups[i+1].file != g.file {
				info, err := e.finishFile(fw)
				if err != nil {
					return nil, err
				}
				fw = nil
				splits[s].Files = append(splits[s].Files, info)
				splits[s].Rows += info.Rows
			}
		}
	}
	m := &Manifest{
		Tool:          "splitdata",
		Version:       Version,
		Algorithm:     AlgorithmVersion,
		Command:       "split",
		Created:       time.Now().UTC().Truncate(time.Second),
		Seed:          p.Seed,
		SeedText:      p.SeedText,
		SeedGenerated: p.SeedGenerated,
		Options:       p.Options,
		Inputs:        p.Inputs,
		Rows:          p.Rows,
		Unassigned:    p.Unassigned,
		Splits:        splits,
	}
	if err := checkCounts(m); err != nil {
		return nil, err
	}
	for s, sp := range splits {
		var want int64
		for _, u := range p.Units {
			want += u.Counts[s]
		}
		if sp.Rows != want {
			return nil, fmt.Errorf("internal error: merged %d rows of split %s, the plan counts %d", sp.Rows, sp.Name, want)
		}
	}
	cfg.Progress.Phase("commit", 0)
	if err := writeFileAtomic(stage.path(PlanName), data); err != nil {
		return nil, err
	}
	if err := writeJSONFile(stage.path(ManifestName), m); err != nil {
		return nil, fmt.Errorf("write manifest: %w", err)
	}
	if err := stage.commit(); err != nil {
		return nil, err
	}
	return m, nil
}

// countShards counts the distinct shards named in problems.
func countShards(problems []string) int {
	var seen []string
	for _, p := range problems {
		k, _, _ := strings.Cut(p, ":")
		if !slices.Contains(seen, k) {
			seen = append(seen, k)
		}
	}
	return len(seen)
}

// readShardDone reads a shard's done.json.
func readShardDone(path string) (*ShardDone, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var d ShardDone
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("damaged %s: %w", path, err)
	}
	return &d, nil
}

// loadGroup reads a shard's row group file, checks its hash and loads it.
func loadGroup(enc *sinks.RowGroupEncoder, path, want string) (*sinks.EncodedRowGroup, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrShards, err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != want {
		return nil, fmt.Errorf("%w: %s has sha256 %s, its shard recorded %s; run that shard again", ErrShards, path, got, want)
	}
	rg, err := enc.Load(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrShards, path, err)
	}
	return rg, nil
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory, synced and renamed into place: readers see the old file or
// the whole new one.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
