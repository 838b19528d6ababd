package pipeline

import (
	"fmt"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/scratch"
)

// Content groups (--group-by-content, docs/algorithm.md section 19): rows
// with equal values form one group, placed as a --group group is, by the
// key of its canonical bytes. The pass that reads each row's group key
// also counts the groups for the manifest (contentCount, content_sort.go).

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

// contentCount counts a content job's groups by their values
// (content_sort.go) during its key pass (readGroupKeys), from the bytes
// that give each row its group key: the columns are read once. It holds
// at most about memory bytes of them, beyond in temporary files of dir:
// in a local directory, in a directory of its own held by a lock, so
// that the next run there removes it should this one be killed.
type contentCount struct {
	c   *contentCounter
	tmp *scratch.LocalDir // the locked directory, for a local dir
}

// newContentCount prepares the count of the plan's groups, read on up to
// workers goroutines. The caller closes it.
func newContentCount(p *plan, workers int, memory int64, dir scratch.Dir) (*contentCount, error) {
	cc := &contentCount{}
	if local, ok := dir.(*scratch.LocalDir); ok {
		tmp, err := scratch.NewLocked(local.Path(), contentPrefix)
		if err != nil {
			return nil, fmt.Errorf("content groups: %w", err)
		}
		cc.tmp, dir = tmp, tmp
	}
	cc.c = newContentCounter(dir, p.decodedBytes(false), memory, workers)
	return cc, nil
}

// newPiece returns a piece for one goroutine's rows ([contentPiece.keyOf]).
func (cc *contentCount) newPiece() *contentPiece { return cc.c.newPiece() }

// finish counts the groups, once every piece is flushed.
func (cc *contentCount) finish() (ContentStats, error) {
	t, err := cc.c.finish()
	return t.ContentStats, err
}

// close removes the count's files and directory.
func (cc *contentCount) close() {
	cc.c.close()
	if cc.tmp != nil {
		_ = cc.tmp.Remove()
	}
}
