package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/splitdata/splitdata/sinks"
)

// MergeConfig describes a merge.
type MergeConfig struct {
	// Dir is the sharded job's directory, holding plan.json.
	Dir string `json:"dir"`
	// Progress, if not nil, receives the merge's progress.
	Progress Progress `json:"-"`
	// MemoryLimit is the merge's memory budget in bytes (0: the default,
	// DefaultMemoryLimit). A merge holds one row group at a time, encoded,
	// as its shard wrote it: a row group file larger than half the heap
	// budget (the budget less its reserve, see [MemoryReserve]) is refused
	// before it is read, naming it and the --memory that would do.
	MemoryLimit int64 `json:"memory_limit,omitempty"`
	// OpenObject opens the plan's first input if it is an object
	// (planned from an [ObjectInput]); see [ShardConfig.OpenObject].
	OpenObject ObjectOpener `json:"-"`
	// OutputFS, if not nil, holds the job Dir names when Dir is not a
	// local directory (a bucket prefix): [MergeConfig.Committed] reads its
	// plan, manifest and, with hashes, files through it. Merge itself does
	// not use it.
	OutputFS fs.FS `json:"-"`
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
	out, err := OpenLocalDir(cfg.Dir, true)
	if err != nil {
		return nil, err
	}
	defer out.Abort(ctx)
	p, data, err := ReadPlan(filepath.Join(cfg.Dir, PlanName))
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(cfg.Dir, ManifestName)); err == nil {
		return nil, fmt.Errorf("%w: %s is already merged (it has a manifest)", ErrOutputExists, cfg.Dir)
	}
	sum := sha256.Sum256(data)
	planSum := hex.EncodeToString(sum[:])
	// Check every shard's record first, so that all problems are named at
	// once. Records are read shard by shard, then each split's row groups
	// are matched to their shards in one pass over units and shards: the
	// work is linear in the plan's size, however many shards it has.
	nsplits := len(p.Options.Splits)
	layouts := make([]splitLayout, nsplits)
	groupFiles := make([][]string, nsplits)  // [split][seq] path of the group file
	groupRecs := make([][]FileInfo, nsplits) // [split][seq] its shard's record of it
	for s := range nsplits {
		layouts[s] = p.layout(s)
		n := layouts[s].numGroups() // bounded by ParsePlan
		groupFiles[s], groupRecs[s] = make([]string, n), make([]FileInfo, n)
	}
	problems := make([][]string, len(p.Shards))
	records := make([]map[string]FileInfo, len(p.Shards)) // nil: no usable record
	for k := range p.Shards {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		path := filepath.Join(cfg.Dir, shardsDir, shardName(k), "done.json")
		done, err := readShardDone(path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			problems[k] = append(problems[k], fmt.Sprintf("shard %d: not finished (no %s)", k, path))
			continue
		case err != nil:
			problems[k] = append(problems[k], fmt.Sprintf("shard %d: %v", k, err))
			continue
		case done.PlanSHA256 != planSum || done.Shard != k:
			problems[k] = append(problems[k], fmt.Sprintf("shard %d: ran another plan (or shard); run it again", k))
			continue
		}
		records[k] = make(map[string]FileInfo, len(done.Groups))
		for _, g := range done.Groups {
			records[k][g.Path] = g
		}
	}
	rows := make([]int64, len(p.Shards)+1)
	for s := range nsplits {
		p.shardRows(s, rows)
		l := layouts[s]
		for k, byPath := range records {
			if byPath == nil {
				continue
			}
			dir := filepath.Join(cfg.Dir, shardsDir, shardName(k))
			for seq := l.firstGroupAt(rows[k]); seq < l.firstGroupAt(rows[k+1]); seq++ {
				g := l.group(seq)
				rel := p.Options.Splits[s].Name + "/" + shardGroupName(g.seq)
				info, ok := byPath[rel]
				if !ok || info.Rows != g.to-g.from {
					problems[k] = append(problems[k], fmt.Sprintf("shard %d: row group %s missing or of the wrong size; run it again", k, rel))
					continue
				}
				groupFiles[s][seq] = filepath.Join(dir, filepath.FromSlash(rel))
				groupRecs[s][seq] = info
			}
		}
	}
	var lines []string
	bad := 0
	for _, ps := range problems {
		if len(ps) > 0 {
			bad++
			lines = append(lines, ps...)
		}
	}
	if bad > 0 {
		return nil, fmt.Errorf("%w: %d of %d shards:\n  %s", ErrShards, bad, len(p.Shards), strings.Join(lines, "\n  "))
	}

	// The first input's schema and metadata go into every footer: it must
	// be the file the shards read.
	schema, kv, err := p.firstSchema(ctx, cfg.OpenObject)
	if err != nil {
		return nil, err
	}
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
	cfg.Progress.Phase("merge", p.Rows-p.Unassigned)
	names := splitNames(p.Options.Splits)
	format := sinks.Parquet(p.Options.Parquet)
	e := &engine{format: format, schema: schema, kv: kv, out: out, names: names, layout: wholeJob{names: names, ext: format.Ext()}}
	splits := make([]SplitInfo, nsplits)
	for s := range nsplits {
		splits[s].Name = e.names[s]
		l := layouts[s]
		n := l.numGroups()
		var fw *fileWriter
		for seq := range max(n, 1) { // an empty split is one empty file
			g := groupSpan{seq: -1}
			if n > 0 {
				g = l.group(seq)
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if fw == nil {
				if fw, err = e.createFile(ctx, s, g.file); err != nil {
					return nil, err
				}
			}
			if g.seq >= 0 {
				if err := checkGroupMemory(groupFiles[s][g.seq], groupRecs[s][g.seq], cfg.MemoryLimit); err != nil {
					fw.f.Close()
					return nil, err
				}
				rg, err := loadGroup(enc, groupFiles[s][g.seq], groupRecs[s][g.seq])
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
			if seq+1 >= n || l.group(seq+1).file != g.file {
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
		Inputs:        p.inputInfos(),
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
	if err := out.writeFile(PlanName, data); err != nil {
		return nil, err
	}
	if err := commitManifest(ctx, out, m); err != nil {
		return nil, err
	}
	return m, nil
}

// readShardDone reads a shard's done.json.
func readShardDone(path string) (*ShardDone, error) {
	data, err := readFileMax(path, MaxPlanBytes)
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

// loadGroup reads a shard's row group file, checks its size and hash
// against the shard's record and loads it. The size is checked before the
// file is read: a record is small, a damaged file need not be.
func loadGroup(enc *sinks.RowGroupEncoder, path string, rec FileInfo) (*sinks.EncodedRowGroup, error) {
	want := rec.SHA256
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrShards, err)
	}
	if !st.Mode().IsRegular() || st.Size() != rec.Bytes {
		return nil, fmt.Errorf("%w: %s has %d bytes, its shard recorded %d; run that shard again", ErrShards, path, st.Size(), rec.Bytes)
	}
	data, err := readFileMax(path, rec.Bytes)
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
