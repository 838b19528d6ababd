package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/storage"
)

// Sharded runs on a bucket (plan --out, run-shard --plan, merge DIR as
// s3://, gs:// or az:// URLs). The pipeline plans, runs shards and merges
// in local directories; this file moves their files between those and the
// bucket: a plan and each shard are committed to the bucket as outputs of
// their own (storage's commit protocol, no manifest), and the merge reads
// the plan and the shards' files into a local directory, merges there,
// and commits the result to the job's prefix, replacing the plan and
// shards at once. So a shard's files stay on the local disk of the task
// running it until they are uploaded, and the merge needs the local disk
// of the shards plus the merged output. Inputs are local paths, the same
// on every machine (a shared file system); bucket INPUTs are not
// supported for sharded runs yet.

// shardTemp makes a private local directory for a sharded command's files
// on their way to or from a bucket; remove deletes it.
func shardTemp() (dir string, remove func(), err error) {
	dir, err = os.MkdirTemp("", "splitdata-shard-")
	if err != nil {
		return "", nil, fmt.Errorf("temporary directory: %w", err)
	}
	return dir, func() { _ = os.RemoveAll(dir) }, nil
}

// bindPlanInputs splits the INPUTs of plan into local paths (cfg.Inputs)
// and bucket objects (cfg.Sources, which the plan records by URL and
// version); out is the plan's --out.
func (l *locations) bindPlanInputs(ctx context.Context, cfg *pipeline.SplitConfig, out storage.Location) error {
	local, objs, err := l.inputsOutside(ctx, cfg.Inputs, cfg.InputFormat, out)
	if err != nil {
		return err
	}
	cfg.Inputs = local
	cfg.Sources = append(cfg.Sources, l.open(ctx, objs)...)
	return nil
}

// upload writes the files below the local directory dir (all levels,
// slash names) to out and commits it with manifest (nil: none), or
// aborts it on failure.
func upload(ctx context.Context, out *storage.Output, dir string, skip func(rel string) bool, manifest []byte) error {
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if skip != nil && skip(rel) {
			return nil
		}
		return uploadFile(ctx, out, p, rel)
	})
	if err == nil {
		err = out.Commit(ctx, manifest)
	}
	if err != nil {
		_ = out.Abort(context.WithoutCancel(ctx))
	}
	return err
}

// uploadFile copies the local file p to the output's file rel.
func uploadFile(ctx context.Context, out *storage.Output, p, rel string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := out.Create(ctx, rel)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, f); err != nil {
		_ = w.Close()
		return err
	}
	return w.Close()
}

// download copies the objects of the store under prefix to the local
// directory dir, by their names below the prefix, except those skip
// names. Each object's size is known before it is copied: objects are
// streamed, never held whole.
func download(ctx context.Context, s *storage.Store, prefix, dir string, skip func(rel string) bool) error {
	prefix = strings.Trim(prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	infos, err := s.List(ctx, prefix)
	if err != nil {
		return err
	}
	for _, info := range infos {
		rel := strings.TrimPrefix(info.Key, prefix)
		if rel == "" || strings.HasSuffix(rel, "/") || (skip != nil && skip(rel)) {
			continue
		}
		if !fs.ValidPath(rel) {
			return fmt.Errorf("%s: %q is not a name splitdata writes", bareURL(s.Location(info.Key)), rel)
		}
		if err := downloadObject(ctx, s, info, filepath.Join(dir, filepath.FromSlash(rel))); err != nil {
			return err
		}
	}
	return nil
}

// downloadObject copies one listed object to the local file p.
func downloadObject(ctx context.Context, s *storage.Store, info storage.ObjectInfo, p string) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	o := s.OpenInfo(ctx, info)
	defer o.Close()
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, io.NewSectionReader(o, 0, o.Size())); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// hiddenArea reports whether a slash name lies in an output's hidden
// area (a name ".X.splitdata" on its way): another output's lock and
// staging, never part of a job's files.
func hiddenArea(rel string) bool {
	for _, part := range strings.Split(rel, "/") {
		if strings.HasPrefix(part, ".") && strings.HasSuffix(part, ".splitdata") {
			return true
		}
	}
	return false
}

// bucketPlan runs plan with a bucket --out: the plan is made in a local
// directory and committed to the prefix as plan.json. The prefix is
// opened (locked, refused if it holds objects without --overwrite) before
// any work.
func bucketPlan(ctx context.Context, locs *locations, cfg pipeline.SplitConfig, shards int,
	create func(pipeline.SplitConfig, int) (*pipeline.Plan, error)) (*pipeline.Plan, string, error) {
	loc, err := parseLocation("--out", cfg.Out)
	if err != nil {
		return nil, "", err
	}
	out, err := locs.output(ctx, loc, cfg.Overwrite)
	if err != nil {
		return nil, "", err
	}
	tmp, remove, err := shardTemp()
	if err != nil {
		return nil, "", err
	}
	defer remove()
	cfg.Out, cfg.Overwrite = filepath.Join(tmp, "plan"), false
	p, err := create(cfg, shards)
	if err != nil {
		return nil, "", renamed(err, cfg.Out, bareURL(loc))
	}
	if err := upload(ctx, out, cfg.Out, nil, nil); err != nil {
		return nil, "", err
	}
	return p, bareURL(loc), nil
}

// bucketShard runs run-shard with a bucket --plan: the plan is read into
// a local directory, the shard run there, and its files committed to
// PREFIX/.shards/NAME as an output of its own, replacing an earlier run
// of the same shard.
func bucketShard(ctx context.Context, cfg pipeline.ShardConfig) (*pipeline.ShardDone, error) {
	loc, err := parseLocation("--plan", cfg.Plan)
	if err != nil {
		return nil, err
	}
	var locs locations
	defer locs.release(context.WithoutCancel(ctx))
	s, err := locs.store(ctx, loc)
	if err != nil {
		return nil, err
	}
	tmp, remove, err := shardTemp()
	if err != nil {
		return nil, err
	}
	defer remove()
	info, err := s.Stat(ctx, loc.Key)
	if err != nil {
		return nil, err
	}
	if info.Size > pipeline.MaxPlanBytes {
		return nil, fmt.Errorf("%s: invalid plan: %d bytes, more than the %d MiB a plan may have", bareURL(loc), info.Size, pipeline.MaxPlanBytes>>20)
	}
	cfg.Plan = filepath.Join(tmp, pipeline.PlanName)
	if err := downloadObject(ctx, s, info, cfg.Plan); err != nil {
		return nil, err
	}
	cfg.OpenObject = locs.opener()
	done, err := pipeline.RunShard(ctx, cfg)
	if err != nil {
		return nil, renamed(err, cfg.Plan, bareURL(loc))
	}
	shardRoot := filepath.Join(tmp, ".shards")
	entries, err := os.ReadDir(shardRoot)
	if err != nil || len(entries) != 1 {
		return nil, fmt.Errorf("internal error: the shard's directory in %s: %v entries, %v", shardRoot, len(entries), err)
	}
	dir := path.Dir(loc.Key)
	if dir == "." {
		dir = ""
	}
	outLoc := loc
	outLoc.Key = strings.TrimPrefix(dir+"/.shards/"+entries[0].Name(), "/")
	out, err := locs.output(ctx, outLoc, true)
	if err != nil {
		return nil, err
	}
	if err := upload(ctx, out, filepath.Join(shardRoot, entries[0].Name()), nil, nil); err != nil {
		return nil, err
	}
	return done, nil
}

// bucketMerge runs merge on a bucket prefix: the prefix is opened as an
// output (locked; kept as it is until the commit), the plan and the
// shards' files read into a local directory and merged there, and the
// merged files (plan.json kept) committed to the prefix, manifest last,
// replacing the plan and the shards.
func bucketMerge(ctx context.Context, cfg pipeline.MergeConfig) (*pipeline.Manifest, error) {
	loc, err := parseLocation("DIR", cfg.Dir)
	if err != nil {
		return nil, err
	}
	var locs locations
	defer locs.release(context.WithoutCancel(ctx))
	s, err := locs.store(ctx, loc)
	if err != nil {
		return nil, err
	}
	out, err := locs.output(ctx, loc, true)
	if err != nil {
		return nil, err
	}
	tmp, remove, err := shardTemp()
	if err != nil {
		return nil, err
	}
	defer remove()
	local := filepath.Join(tmp, "job")
	if err := download(ctx, s, loc.Key, local, hiddenArea); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(local, pipeline.PlanName)); err != nil {
		return nil, fmt.Errorf("%s: no %s: %w", bareURL(loc), pipeline.PlanName, fs.ErrNotExist)
	}
	cfg.Dir, cfg.OpenObject = local, locs.opener()
	m, err := pipeline.Merge(ctx, cfg)
	if err != nil {
		return nil, renamed(err, local, bareURL(loc))
	}
	manifest, err := os.ReadFile(filepath.Join(local, pipeline.ManifestName))
	if err != nil {
		return nil, err
	}
	skip := func(rel string) bool { return rel == pipeline.ManifestName }
	if err := upload(ctx, out, local, skip, manifest); err != nil {
		return nil, err
	}
	return m, nil
}

// bucketMergeStep is merge on a bucket prefix as a step: with --if-exists
// skip, a prefix holding a manifest is checked through the store (its
// plan, manifest and, with --verify-existing, files) and kept if it is
// the plan's merged output.
func bucketMergeStep(ctx context.Context, step *stepFlags, log *logger, cfg pipeline.MergeConfig) (*pipeline.Manifest, error) {
	var locs locations
	defer locs.release(context.WithoutCancel(ctx))
	dir := cfg.Dir // with its parameters, for the merge
	if step.ifExists == ifExistsSkip {
		loc, err := parseLocation("DIR", cfg.Dir)
		if err != nil {
			return nil, err
		}
		s, err := locs.store(ctx, loc)
		if err != nil {
			return nil, err
		}
		cfg.Dir, cfg.OutputFS = bareURL(loc), s.FS(ctx, loc.Key)
	}
	return runStep(ctx, step, log, shownLocation(cfg.Dir), cfg, func(ctx context.Context, c pipeline.MergeConfig) (*pipeline.Manifest, error) {
		c.Dir, c.OutputFS = dir, nil
		return bucketMerge(ctx, c)
	})
}

// renamedError is err with the local directory from shown as the bucket
// location to: the pipeline's messages name the local copy a sharded
// command works in, the user named the bucket.
type renamedError struct {
	err      error
	from, to string
}

func (e renamedError) Error() string { return strings.ReplaceAll(e.err.Error(), e.from, e.to) }
func (e renamedError) Unwrap() error { return e.err }

// renamed is err as renamedError, nil for nil.
func renamed(err error, from, to string) error {
	if err == nil {
		return nil
	}
	return renamedError{err: err, from: from, to: to}
}
