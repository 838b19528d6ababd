package report

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/sources"
)

// maxExamples is how many leaked rows, and how many leaked groups, a
// report shows.
const maxExamples = 20

// ErrCollision reports two different rows whose 128-bit hashes are equal:
// a leak count that cannot be trusted (never seen; see leakFinder).
var ErrCollision = fmt.Errorf("two different rows share a 128-bit hash")

// buildWithLeaks returns the report of the accumulated parts (build)
// with its leakage (findLeaks). The two read nothing the other writes,
// so build runs beside the search for shared rows: after a run, that
// search's serial steps (its buffer's allocation, the last buckets) leave
// a core idle that build fills.
func buildWithLeaks(ctx context.Context, m *pipeline.Manifest, opts Options, sc *scanner, parts []part, accs []*acc, files []string, leak *leakFinder) (*Report, error) {
	built := make(chan *Report, 1)
	go func() { built <- build(m, opts, sc, parts, accs) }()
	var l Leakage
	err := findLeaks(ctx, &l, m, sc, parts, files, leak)
	r := <-built
	if err != nil {
		return nil, err
	}
	r.Leakage = l
	return r, nil
}

// findLeaks fills l from the leak records.
func findLeaks(ctx context.Context, l *Leakage, m *pipeline.Manifest, sc *scanner, parts []part, files []string, leak *leakFinder) error {
	l.Group = sc.groupName()
	l.Pairs, l.Examples = []LeakPair{}, []LeakExample{}
	dups := make([]int64, len(parts))
	type pairKey struct{ a, b uint16 }
	rowPairs := map[pairKey]*LeakPair{}
	groupPairs := map[pairKey]*LeakPair{}
	var rowEx, groupEx [][]record
	process := func(run []record) {
		// run is sorted by split: count each split's records.
		var splits []uint16
		var counts []int64
		var firsts []record
		for _, x := range run {
			if len(splits) == 0 || splits[len(splits)-1] != x.split {
				splits, counts, firsts = append(splits, x.split), append(counts, 0), append(firsts, x)
			}
			counts[len(counts)-1]++
		}
		if run[0].kind == kindRow {
			for i, s := range splits {
				dups[s] += counts[i] - 1
			}
		}
		if len(splits) < 2 {
			return
		}
		pairs := rowPairs
		if run[0].kind == kindRow {
			l.Rows++
			rowEx = keepSmallest(rowEx, firsts)
		} else {
			pairs = groupPairs
			l.Groups++
			groupEx = keepSmallest(groupEx, firsts)
		}
		for i := range splits {
			for j := i + 1; j < len(splits); j++ {
				k := pairKey{splits[i], splits[j]}
				p := pairs[k]
				if p == nil {
					p = &LeakPair{A: parts[k.a].name, B: parts[k.b].name}
					pairs[k] = p
				}
				p.Values++
				p.RowsA += counts[i]
				p.RowsB += counts[j]
			}
		}
	}
	if err := verifiedRuns(ctx, sc, files, outputOptions(m), leak, process); err != nil {
		return err
	}
	for i, p := range parts {
		if !p.input {
			l.Duplicates = append(l.Duplicates, SplitCount{Split: p.name, Count: dups[i]})
		}
	}
	for a := range parts {
		for b := a + 1; b < len(parts); b++ {
			if p := rowPairs[pairKey{uint16(a), uint16(b)}]; p != nil {
				l.Pairs = append(l.Pairs, *p)
			}
			if p := groupPairs[pairKey{uint16(a), uint16(b)}]; p != nil {
				l.GroupPairs = append(l.GroupPairs, *p)
			}
		}
	}
	o := outputOptions(m)
	for _, ex := range rowEx {
		var first []byte
		e := LeakExample{}
		for i, x := range ex {
			row, err := readRow(ctx, files[x.file], o, x.row)
			if err != nil {
				return err
			}
			var enc []byte
			for _, v := range row {
				enc = appendCanonical(enc, v)
			}
			if i == 0 {
				first, e.Value = enc, sc.render(row, -1)
			} else if !bytes.Equal(first, enc) {
				return fmt.Errorf("%w: %s row %d and %s row %d", ErrCollision, files[ex[0].file], ex[0].row, files[x.file], x.row)
			}
			e.Splits = append(e.Splits, parts[x.split].name)
		}
		l.Examples = append(l.Examples, e)
	}
	for _, ex := range groupEx {
		row, err := readRow(ctx, files[ex[0].file], o, ex[0].row)
		if err != nil {
			return err
		}
		e := LeakExample{Value: sc.renderGroup(row)}
		for _, x := range ex {
			e.Splits = append(e.Splits, parts[x.split].name)
		}
		l.GroupExamples = append(l.GroupExamples, e)
	}
	return nil
}

// keepSmallest adds ex to the examples, keeping the maxExamples of
// smallest hash: the examples do not depend on how the records were
// partitioned.
func keepSmallest(exs [][]record, ex []record) [][]record {
	i, _ := slices.BinarySearchFunc(exs, ex, func(a, b []record) int { return bytes.Compare(a[0].hash[:], b[0].hash[:]) })
	if i >= maxExamples {
		return exs
	}
	exs = slices.Insert(exs, i, slices.Clone(ex))
	return exs[:min(len(exs), maxExamples)]
}

func (s *scanner) groupName() string {
	names := make([]string, len(s.groups))
	for p, c := range s.groups {
		names[p] = s.cols[c].name
	}
	return strings.Join(names, ",")
}

// renderGroup shows a row's group values, in the order of the group's
// columns.
func (s *scanner) renderGroup(row parquet.Row) string {
	parts := make([]string, len(s.groups))
	for p, c := range s.groups {
		parts[p] = "null"
		for _, v := range row {
			if v.Column() == c {
				parts[p] = showParquet(v, s.cols[c])
				break
			}
		}
	}
	return strings.Join(parts, ", ")
}

// readRow reads row i of a file (a copy).
func readRow(ctx context.Context, path string, o sources.Options, i uint64) (parquet.Row, error) {
	src, err := sources.Open(path, o)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	var start uint64
	for u := range src.NumUnits() {
		n := uint64(src.UnitNumRows(u))
		if i >= start+n {
			start += n
			continue
		}
		var out parquet.Row
		at := start
		err := src.ReadUnit(ctx, u, 1024, func(rows []parquet.Row) error {
			if i >= at && i < at+uint64(len(rows)) {
				out = rows[i-at].Clone()
			}
			at += uint64(len(rows))
			return nil
		})
		return out, err
	}
	return nil, fmt.Errorf("%s: no row %d", path, i)
}

// maxShownBytes caps a value shown in an example.
const maxShownBytes = 48

// render shows a row's values as name=value (only column only, if not
// negative).
func (s *scanner) render(row parquet.Row, only int) string {
	var b strings.Builder
	for _, v := range row {
		c := v.Column()
		if only >= 0 && c != only || c >= len(s.cols) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		if only < 0 {
			b.WriteString(s.cols[c].name)
			b.WriteByte('=')
		}
		b.WriteString(showParquet(v, s.cols[c]))
	}
	return b.String()
}

func showParquet(v parquet.Value, c column) string {
	if v.IsNull() {
		return "null"
	}
	var t string
	switch c.kind {
	case KindString, KindBinary:
		raw := v.ByteArray()
		if c.kind == KindString && utf8.Valid(raw) {
			t = fmt.Sprintf("%q", raw)
		} else {
			t = fmt.Sprintf("0x%x", raw)
		}
	default:
		t = v.String()
	}
	if len(t) > maxShownBytes {
		t = t[:maxShownBytes] + "…"
	}
	return t
}
