package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"
)

// The commit record and the steps after the commit point (output.go has
// the protocol): what a run publishes, and how a run killed while
// publishing is finished by the next one.

// commitRecord is H/commit: the run being published and its files. A
// record holds either staged files (Files, Sizes: GCS, and records left
// by earlier versions) or open uploads (Direct: S3, Azure).
type commitRecord struct {
	Run string `json:"run"`
	// Files and Sizes are the files staged under H/staging/RUN/, to be
	// copied to P/NAME; the manifest is staged beside them.
	Files []string `json:"files,omitempty"`
	Sizes []int64  `json:"sizes,omitempty"`
	// Direct is set when the files are Uploads, left open at P/NAME, to
	// be completed; the manifest is then Manifest.
	Direct   bool           `json:"direct,omitempty"`
	Uploads  []uploadRecord `json:"uploads,omitempty"`
	Manifest []byte         `json:"manifest,omitempty"`
	// NoManifest is set by a Commit given no manifest.
	NoManifest bool `json:"no_manifest,omitempty"`
	// Cleared is set, by rewriting the record, once the old objects are
	// removed (step 8): from then on objects under P may be this run's
	// (completed uploads), and removing them again would lose them.
	Cleared bool `json:"cleared,omitempty"`
}

// uploadRecord is one file of a direct commit: the upload open at
// P/Name, its parts' tags (S3 ETags, Azure block IDs) and its size. An
// empty file has no upload (S3 takes no empty part): it is written by
// one PUT when published.
type uploadRecord struct {
	Name   string   `json:"name"`
	Size   int64    `json:"size"`
	Upload string   `json:"upload,omitempty"`
	Parts  []string `json:"parts,omitempty"`
}

// maxCommitRecord bounds the commit record read back: file names, part
// tags and the manifest.
const maxCommitRecord = 64 << 20

func (r commitRecord) valid() error {
	switch {
	case r.Run == "":
		return errors.New("no run")
	case len(r.Sizes) != len(r.Files):
		return fmt.Errorf("%d files, %d sizes", len(r.Files), len(r.Sizes))
	case r.Direct && len(r.Files) > 0, !r.Direct && (len(r.Uploads) > 0 || r.Manifest != nil):
		return errors.New("both staged files and uploads")
	}
	for _, u := range r.Uploads {
		if err := checkName(u.Name); err != nil {
			return err
		}
		if (u.Upload == "") != (u.Size == 0) || (u.Upload == "") != (len(u.Parts) == 0) {
			return fmt.Errorf("%s: %d bytes in %d parts of upload %q", u.Name, u.Size, len(u.Parts), u.Upload)
		}
	}
	for _, name := range r.Files {
		if err := checkName(name); err != nil {
			return err
		}
	}
	return nil
}

// recover finishes a commit a killed run left, removes staging objects
// and aborts the uploads a run killed before its commit point left open.
func (o *Output) recover(ctx context.Context) error {
	b, info, err := o.s.getBytes(ctx, o.area+"commit", maxCommitRecord)
	switch {
	case err == nil:
		var rec commitRecord
		err := json.Unmarshal(b, &rec)
		if err == nil {
			err = rec.valid()
		}
		if err != nil {
			return fmt.Errorf("read %s: invalid commit record (remove it by hand if no output is being committed): %v", o.s.url(o.area+"commit"), err)
		}
		o.opts.Notice(fmt.Sprintf("finishing the commit of an interrupted run on %s", o.s.url(o.prefix)))
		if err := o.publish(ctx, rec, info.Version); err != nil {
			return err
		}
	case !errors.Is(err, ErrNotFound):
		return err
	}
	staged, err := o.s.List(ctx, o.area+"staging/")
	if err != nil {
		return err
	}
	if err := o.abortMarked(ctx, staged); err != nil {
		return err
	}
	if len(staged) > 0 && !o.marks {
		o.opts.Notice(fmt.Sprintf("removing %d staging objects an interrupted run left in %s", len(staged), o.s.url(o.area)))
	}
	if err := o.s.removeAll(ctx, staged); err != nil {
		return err
	}
	if o.prefix == "" {
		// At a bucket's root, other tools' uploads may be open beside
		// the output's: only those the markers name are aborted.
		return nil
	}
	return o.abortOpen(ctx)
}

// abortMarked aborts the uploads open at the keys that staged, the
// objects under H/staging/ with the lock held and no commit record, mark
// (S3: see [Output.Create]): a killed run's, never to be completed.
// Uploads at other keys are left alone, so that an output at a bucket's
// root aborts no other tool's.
func (o *Output) abortMarked(ctx context.Context, staged []ObjectInfo) error {
	if !o.marks {
		return nil
	}
	ul := o.s.be.(uploadLister)
	var open []openUpload
	for _, x := range staged {
		rest := strings.TrimPrefix(x.Key, o.area+"staging/")
		_, name, ok := strings.Cut(rest, "/") // RUN/NAME
		if !ok || checkName(name) != nil {
			continue
		}
		key := joinKey(o.prefix, name)
		err := o.s.opts.Retry.do(ctx, o.s.retried, func() (int, error) {
			o.s.stats.List.Add(1)
			n := len(open)
			st, err := ul.listUploads(ctx, key, func(k, id string) error {
				if k == key {
					open = append(open, openUpload{k, id})
				}
				return nil
			})
			if err != nil {
				open = open[:n]
			}
			return st, classify("list uploads", o.s.url(key), st, err)
		})
		if errors.Is(err, ErrPermission) {
			o.opts.Notice(fmt.Sprintf("cannot list the open uploads at %s to abort a killed run's (%v); they stay invisible until a lifecycle rule expires them", o.s.url(key), err))
			return nil
		}
		if err != nil {
			return err
		}
	}
	if len(open) > 0 {
		o.opts.Notice(fmt.Sprintf("aborting %d uploads an interrupted run left open under %s", len(open), o.s.url(dirPrefix(o.prefix))))
	}
	return o.abortUploads(ctx, open)
}

// abortOpen aborts the uploads open under P (not at a bucket's root):
// with the lock held and no commit record, they are a killed run's, never
// to be completed, whether or not a marker names them (runs of 0.6.0
// left none). Keys
// with a segment starting with "." below P are left alone: they belong
// to outputs inside this one (a sharded job's PREFIX/.shards/shard-N),
// which may be running. A store that refuses the listing (a policy
// without s3:ListBucketMultipartUploads) only gets a notice: open
// uploads are never visible, and a lifecycle rule can expire them.
//
// The uploads are listed and aborted abortBatch at a time, the listing
// starting again after each batch (the aborted ones are gone from it),
// so that memory does not grow with the uploads a bucket holds.
func (o *Output) abortOpen(ctx context.Context) error {
	ul, ok := o.s.be.(uploadLister)
	if !ok {
		return nil
	}
	dir := dirPrefix(o.prefix)
	for first := true; ; first = false {
		stale, full, err := o.listStale(ctx, ul, dir)
		if errors.Is(err, ErrPermission) {
			o.opts.Notice(fmt.Sprintf("cannot list the open uploads under %s to abort a killed run's (%v); they stay invisible until a lifecycle rule expires them", o.s.url(dir), err))
			return nil
		}
		if err != nil {
			return err
		}
		if first && len(stale) > 0 {
			more := ""
			if full {
				more = " or more"
			}
			o.opts.Notice(fmt.Sprintf("aborting %d%s uploads an interrupted run left open under %s", len(stale), more, o.s.url(dir)))
		}
		if err := o.abortUploads(ctx, stale); err != nil {
			return err
		}
		if !full {
			return nil
		}
	}
}

// abortBatch is the most open uploads abortOpen holds at once (a
// variable for tests).
var abortBatch = 1000

// errBatchFull stops a listing of uploads once abortBatch are found.
var errBatchFull = errors.New("batch full")

// openUpload is an upload open under an output.
type openUpload struct{ key, id string }

// listStale lists the first abortBatch uploads open under dir that are
// the output's own (not under a "." segment); full says the listing
// stopped there.
func (o *Output) listStale(ctx context.Context, ul uploadLister, dir string) (stale []openUpload, full bool, err error) {
	err = o.s.opts.Retry.do(ctx, o.s.retried, func() (int, error) {
		o.s.stats.List.Add(1)
		stale, full = stale[:0], false
		st, err := ul.listUploads(ctx, dir, func(key, id string) error {
			rel := strings.TrimPrefix(key, dir)
			if strings.HasPrefix(rel, ".") || strings.Contains(rel, "/.") {
				return nil
			}
			stale = append(stale, openUpload{key, id})
			if len(stale) == abortBatch {
				return errBatchFull
			}
			return nil
		})
		if errors.Is(err, errBatchFull) {
			full = true
			return 0, nil
		}
		return st, classify("list uploads", o.s.url(dir), st, err)
	})
	return stale, full, err
}

// abortUploads aborts the uploads, 8 requests at a time.
func (o *Output) abortUploads(ctx context.Context, uploads []openUpload) error {
	pu := o.s.be.(partUploader)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, u := range uploads {
		g.Go(func() error {
			return o.s.opts.Retry.do(gctx, o.s.retried, func() (int, error) {
				o.s.stats.Delete.Add(1)
				st, err := pu.abortUpload(gctx, u.key, u.id)
				if st == 404 { // aborted or completed meanwhile
					return 0, nil
				}
				return st, classify("abort upload of", o.s.url(u.key), st, err)
			})
		})
	}
	return g.Wait()
}

// Steps of a publication at which a test can stop it (publishHook).
const (
	stepStart           = "start"            // right after the commit point
	stepManifestRemoved = "manifest-removed" // the old manifest removed
	stepOldRemoved      = "old-removed"      // the old objects removed
	stepFile            = "file"             // n files published
	stepManifest        = "manifest"         // the new manifest written
)

// publishHook, set by tests only, stops a publication at step (after n
// files, for stepFile), as a kill would, when it returns true.
var publishHook func(step string, n int) bool

var errKilled = errors.New("stopped by a test, as if killed")

func stopAt(step string, n int) bool { return publishHook != nil && publishHook(step, n) }

// publish is the steps after the commit point for rec: (8) remove
// P/manifest.json, then the other objects under P (but, on Azure, the
// keys about to be completed: removing a blob discards its uncommitted
// blocks), (9) complete each upload or copy each staged file, (10) write
// the manifest, (11) remove H/commit and the staged files. Each step is
// idempotent, so that a run killed among them is finished by the next;
// the record (of version, as written or read) is rewritten once (8) is
// done, so that a run finishing it does not remove what (9) published.
func (o *Output) publish(ctx context.Context, rec commitRecord, version string) error {
	if stopAt(stepStart, 0) {
		return errKilled
	}
	old, err := o.outputKeys(ctx, 0)
	if err != nil {
		return err
	}
	// The manifest goes first, so no reader takes what follows for a
	// complete output.
	mkey := joinKey(o.prefix, manifestName)
	if i := slices.IndexFunc(old, func(x ObjectInfo) bool { return x.Key == mkey }); i >= 0 {
		if err := o.s.Remove(ctx, mkey); err != nil {
			return err
		}
		old = slices.Delete(old, i, i+1)
	}
	if stopAt(stepManifestRemoved, 0) {
		return errKilled
	}
	if rec.Cleared {
		old = nil
	}
	if rec.Direct {
		if pu := o.s.be.(partUploader); !pu.uploadSurvivesDelete() {
			replaced := make(map[string]bool, len(rec.Uploads))
			for _, u := range rec.Uploads {
				if u.Upload != "" {
					replaced[joinKey(o.prefix, u.Name)] = true
				}
			}
			old = slices.DeleteFunc(old, func(x ObjectInfo) bool { return replaced[x.Key] })
		}
	}
	if err := o.s.removeAll(ctx, old); err != nil {
		return err
	}
	if !rec.Cleared {
		rec.Cleared = true
		b, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		if _, err := o.s.putRecord(ctx, o.area+"commit", b, cond{match: version}); err != nil {
			return fmt.Errorf("record the old output removed: %w", err)
		}
	}
	if stopAt(stepOldRemoved, 0) {
		return errKilled
	}
	stage := o.area + "staging/" + rec.Run + "/"
	n := len(rec.Files)
	if rec.Direct {
		n = len(rec.Uploads)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	if publishHook != nil {
		g.SetLimit(1)
	}
	for i := range n {
		if stopAt(stepFile, i) {
			g.Wait()
			return errKilled
		}
		g.Go(func() error {
			if rec.Direct {
				return o.complete(gctx, rec.Uploads[i])
			}
			return o.s.copyObject(gctx, stage+rec.Files[i], joinKey(o.prefix, rec.Files[i]), rec.Sizes[i])
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if stopAt(stepFile, n) {
		return errKilled
	}
	switch {
	case rec.NoManifest:
	case rec.Direct:
		if _, err := o.s.putBytes(ctx, mkey, rec.Manifest, cond{}); err != nil {
			return err
		}
	default:
		mi, err := o.s.Stat(ctx, stage+manifestName)
		if err != nil {
			return err
		}
		if err := o.s.copyObject(ctx, stage+manifestName, mkey, mi.Size); err != nil {
			return err
		}
	}
	if stopAt(stepManifest, 0) {
		return errKilled
	}
	if err := o.s.Remove(ctx, o.area+"commit"); err != nil {
		return err
	}
	if rec.Direct && !o.marks {
		return nil
	}
	// The staged files, or the markers of the uploads (S3).
	staged, err := o.s.List(ctx, stage)
	if err != nil {
		return err
	}
	return o.s.removeAll(ctx, staged)
}

// complete completes the upload of u, or writes u when empty. An upload
// S3 no longer knows (NoSuchUpload, 404) was completed before, by this
// run (an answer lost on the way) or by a killed one: it counts as done
// when the key holds an object of u's size and, where the store's
// convention gives it, of the version u's parts make.
func (o *Output) complete(ctx context.Context, u uploadRecord) error {
	key := joinKey(o.prefix, u.Name)
	if u.Upload == "" {
		_, err := o.s.putBytes(ctx, key, nil, cond{})
		return err
	}
	pu := o.s.be.(partUploader)
	err := o.s.opts.Retry.do(ctx, o.s.retried, func() (int, error) {
		o.s.stats.Put.Add(1)
		st, err := pu.completeUpload(ctx, key, u.Upload, u.Parts)
		return st, classify("complete upload of", o.s.url(key), st, err)
	})
	if !errors.Is(err, ErrNotFound) {
		return err
	}
	info, serr := o.s.Stat(ctx, key)
	if serr != nil {
		return fmt.Errorf("%w; and no object is there: %w", err, serr)
	}
	if info.Size != u.Size {
		return fmt.Errorf("%w; and the object there has %d bytes, not the %d uploaded", err, info.Size, u.Size)
	}
	if v, ok := pu.completedVersion(u.Parts); ok && strings.Contains(info.Version, "-") && info.Version != v {
		return fmt.Errorf("%w; and the object there is version %s, not the %s of the parts uploaded", err, info.Version, v)
	}
	return nil
}

// outputKeys lists up to limit (0: all) objects of the output: under P,
// not in the hidden area.
func (o *Output) outputKeys(ctx context.Context, limit int) ([]ObjectInfo, error) {
	all, err := o.s.List(ctx, dirPrefix(o.prefix))
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, x := range all {
		if strings.HasPrefix(x.Key, o.area) {
			continue
		}
		out = append(out, x)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out, nil
}

// removeAll removes objects, a few at a time.
func (s *Store) removeAll(ctx context.Context, objs []ObjectInfo) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, x := range objs {
		g.Go(func() error { return s.Remove(ctx, x.Key) })
	}
	return g.Wait()
}

// putRecord is putBytes for a conditional write of a record naming its
// run: a condition found failed because the write was done already, by
// an earlier attempt whose answer was lost, is success.
func (s *Store) putRecord(ctx context.Context, key string, b []byte, c cond) (string, error) {
	v, err := s.putBytes(ctx, key, b, c)
	if !errors.Is(err, errPrecondition) {
		return v, err
	}
	got, info, gerr := s.getBytes(ctx, key, int64(len(b)))
	if gerr == nil && bytes.Equal(got, b) {
		return info.Version, nil
	}
	return "", err
}
