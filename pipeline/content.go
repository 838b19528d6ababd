package pipeline

import (
	"context"
	"fmt"
	"math/big"

	"github.com/parquet-go/parquet-go"
	"golang.org/x/sync/errgroup"

	"github.com/splitdata/splitdata/internal/scratch"
	"github.com/splitdata/splitdata/splitter"
)

// Content groups (--group-by-content, docs/algorithm.md section 19): rows
// with equal values form one group, placed as a --group group is, by the
// key of its canonical bytes. A first pass counts the groups for the
// manifest (content_sort.go).

// grouped reports whether the job keeps groups whole: --group or
// --group-by-content.
func (c SplitConfig) grouped() bool { return c.Group != "" || c.GroupByContent }

// checkContent checks the content options, wrapping ErrUsage.
func (c SplitConfig) checkContent() error {
	switch {
	case c.ContentColumns != "" && !c.GroupByContent:
		return fmt.Errorf("%w: content columns %q without --group-by-content", ErrUsage, c.ContentColumns)
	case c.GroupByContent && c.Group != "":
		return fmt.Errorf("%w: --group and --group-by-content do not go together: list the columns that make a group in one of them", ErrUsage)
	}
	return nil
}

// groupOf returns the group spec of a grouped job's options over schema.
func groupOf(schema *parquet.Schema, group string, content bool, contentList string) (groupSpec, error) {
	if content {
		return contentColumns(schema, contentList)
	}
	return groupColumns(schema, group)
}

// manifestGroup returns the group spec of a manifest's job over schema,
// and whether the job is grouped at all.
func manifestGroup(schema *parquet.Schema, o ManifestOptions) (groupSpec, bool, error) {
	if o.Group == "" && !o.GroupByContent {
		return groupSpec{}, false, nil
	}
	g, err := groupOf(schema, o.Group, o.GroupByContent, o.ContentColumns)
	return g, true, err
}

// contentPrefix names the temporary directory of a content count.
const contentPrefix = "splitdata-content-"

// countContent reads the content columns of every unit of the plan, on up
// to workers goroutines, and counts its groups by their values, holding
// at most about memory bytes of them, beyond in temporary files of dir: in
// a local directory, in a directory of their own held by a lock, so that
// the next run there removes it should this one be killed.
func countContent(ctx context.Context, p *plan, g groupSpec, seed *big.Int, workers int, memory int64, dir scratch.Dir, progress Progress) (*ContentStats, error) {
	progress.Phase("groups", p.rows)
	if local, ok := dir.(*scratch.LocalDir); ok {
		tmp, err := scratch.NewLocked(local.Path(), contentPrefix)
		if err != nil {
			return nil, fmt.Errorf("content groups: %w", err)
		}
		defer func() { _ = tmp.Remove() }()
		dir = tmp
	}
	c := newContentCounter(dir, p.decodedBytes(false), memory, workers)
	defer c.close()
	eg, gctx := errgroup.WithContext(ctx)
	eg.SetLimit(workers)
	for _, u := range p.units {
		eg.Go(func() error {
			h := splitter.NewGroupHasher(seed)
			piece := c.newPiece()
			var addErr error
			err := readGroupBytes(gctx, p, u, g, func(_ int, b []byte) {
				if addErr == nil {
					addErr = piece.add(h.Key(b), 0, b)
				}
			})
			if err == nil {
				err = addErr
			}
			if err == nil {
				err = piece.flush()
			}
			if err != nil {
				return err
			}
			progress.Add(u.rows)
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t, err := c.finish()
	if err != nil {
		return nil, err
	}
	return &t.ContentStats, nil
}
