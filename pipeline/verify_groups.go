package pipeline

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/scratch"
	"github.com/splitdata/splitdata/sinks"
	"github.com/splitdata/splitdata/splitter"
)

// verifyGroups checks, for a grouped output (--group, --group-by-content),
// what the groups promise, from the output files alone: no group's rows
// lie in two splits (for materialized folds, in two folds' test
// outputs), comparing the groups' values, not only their keys, out of
// core under memory bytes. For --group-by-content it also recounts the
// groups and the duplicated rows the manifest records, when the splits
// hold every input row once. It appends differences to r.Problems.
func verifyGroups(ctx context.Context, d outputFiles, m *Manifest, memory int64, r *VerifyReport) error {
	if m.Options.Group == "" && !m.Options.GroupByContent || m.Options.IndexOnly ||
		m.Options.Format == sinks.FormatCSV || m.Options.Format == sinks.FormatJSONL {
		return nil
	}
	problem := func(format string, args ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, args...)) }
	seed, ok := new(big.Int).SetString(m.Seed, 10)
	if !ok {
		return fmt.Errorf("%w: seed %q is not a decimal integer", ErrBadManifest, m.Seed)
	}
	var outputs []int // the splits whose groups must not meet
	for s, info := range m.Splits {
		if !m.Options.Materialize || strings.HasSuffix(info.Name, "/test") {
			outputs = append(outputs, s)
		}
	}
	var bytes int64
	for _, s := range outputs {
		bytes += m.Splits[s].Bytes()
	}
	tmp, err := os.MkdirTemp("", "splitdata-verify-groups-")
	if err != nil {
		return fmt.Errorf("verify groups: temporary directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	// Encoded files grow several times when decoded.
	c := newContentCounter(scratch.Local(tmp), 4*bytes, max(heapBudget(memory)/2, 1<<20), 1)
	defer c.close()
	piece := c.newPiece()
	h := splitter.NewGroupHasher(seed)
	var g groupSpec
	var haveSpec bool
	for _, s := range outputs {
		for _, f := range m.Splits[s].Files {
			in, closeIn, err := d.openSource(m.Options, f.Path)
			if err != nil {
				return err
			}
			if !haveSpec {
				g, err = outputGroup(in.Schema(), m.Options)
				if err != nil {
					closeIn()
					return err
				}
				haveSpec = true
			}
			for u := range in.NumUnits() {
				err = readUnitGroups(ctx, in, u, g, func(b []byte) error {
					return piece.add(h.Key(b), s, b)
				})
				if err != nil {
					break
				}
			}
			closeIn()
			if err != nil {
				return err
			}
		}
	}
	if err := piece.flush(); err != nil {
		return err
	}
	t, err := c.finish()
	if err != nil {
		return err
	}
	if t.straddling > 0 {
		problem("%d groups have rows in more than one split, e.g. the group of key %d in %s and %s",
			t.straddling, t.example.key, m.Splits[t.example.a].Name, m.Splits[t.example.b].Name)
	}
	if want := m.Content; want != nil && m.Unassigned == 0 && !m.Options.Replace {
		got := t.ContentStats
		got.KeyCollisions = want.KeyCollisions // a property of the keys, not of where rows went
		if got != *want {
			problem("the splits hold %d groups, %d of them of more than one row, holding %d rows; the manifest records %d, %d and %d",
				got.Groups, got.DuplicateGroups, got.RowsWithDuplicate, want.Groups, want.DuplicateGroups, want.RowsWithDuplicate)
		}
	}
	return nil
}

// outputGroup returns the group spec of a manifest's job over the schema
// of its output files: the input's, plus the row index column if one was
// added, which is no part of a row's content.
func outputGroup(schema *parquet.Schema, o ManifestOptions) (groupSpec, error) {
	g, _, err := manifestGroup(schema, o)
	if err != nil {
		return g, err
	}
	if o.RowIndexColumn != "" && g.all {
		if leaf, ok := schema.Lookup(o.RowIndexColumn); ok {
			g.cols = removeColumn(g.cols, leaf.ColumnIndex)
		}
	}
	return g, nil
}

// removeColumn returns cols without col.
func removeColumn(cols []int, col int) []int {
	out := cols[:0:0]
	for _, c := range cols {
		if c != col {
			out = append(out, c)
		}
	}
	return out
}
