package pipeline

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/splitdata/splitdata/splitter"
)

// streamGroup computes the group keys of a grouped stream split: the
// key of a row is that of its values in the group columns, as [Split]
// computes it from the same values read from a file (groupSpec).
type streamGroup struct {
	cols      []int
	hasher    *splitter.GroupHasher
	canonical []byte
}

// newStreamGroup finds the group columns of list (one top-level column,
// or several separated by commas, as for [SplitConfig.Group]) in schema.
// Errors wrap ErrUsage.
func newStreamGroup(schema *arrow.Schema, list string, seed *big.Int) (*streamGroup, error) {
	names := []string{list}
	if len(schema.FieldIndices(list)) == 0 {
		names = strings.Split(list, ",")
	}
	g := &streamGroup{hasher: splitter.NewGroupHasher(seed)}
	for k, name := range names {
		if slices.Contains(names[:k], name) {
			return nil, fmt.Errorf("%w: group columns %q: column %q named twice", ErrUsage, list, name)
		}
		idx := schema.FieldIndices(name)
		if len(idx) != 1 {
			return nil, fmt.Errorf("%w: group column %q: the stream has %d top-level columns of that name, want 1", ErrUsage, name, len(idx))
		}
		switch t := schema.Field(idx[0]).Type; t.ID() {
		case arrow.BOOL, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.DATE32,
			arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY:
		default:
			return nil, fmt.Errorf("%w: group column %q is of type %s: want a boolean, integer, date32, string or binary column", ErrUsage, name, t)
		}
		g.cols = append(g.cols, idx[0])
	}
	return g, nil
}

// keys sets keys[k] to the group key of row k of rec.
func (g *streamGroup) keys(rec arrow.RecordBatch, keys []uint64) {
	for k := range keys {
		g.canonical = g.canonical[:0]
		if len(g.cols) == 1 {
			g.canonical = appendArrowCanonical(g.canonical, rec.Column(g.cols[0]), k)
		} else {
			for _, c := range g.cols {
				var start int
				g.canonical, start = splitter.BeginCompositePart(g.canonical)
				g.canonical = appendArrowCanonical(g.canonical, rec.Column(c), k)
				g.canonical = splitter.EndCompositePart(g.canonical, start)
			}
		}
		keys[k] = g.hasher.Key(g.canonical)
	}
}

// appendArrowCanonical appends the canonical bytes of value i of a, of one
// of the types newStreamGroup accepts: what canonicalBytes gives for the
// Parquet value the same Arrow value is written as.
func appendArrowCanonical(b []byte, a arrow.Array, i int) []byte {
	if a.IsNull(i) {
		return append(b, 0)
	}
	b = append(b, 1)
	switch a := a.(type) {
	case *array.Boolean:
		return strconv.AppendBool(b, a.Value(i))
	case *array.Int8:
		return strconv.AppendInt(b, int64(a.Value(i)), 10)
	case *array.Int16:
		return strconv.AppendInt(b, int64(a.Value(i)), 10)
	case *array.Int32:
		return strconv.AppendInt(b, int64(a.Value(i)), 10)
	case *array.Int64:
		return strconv.AppendInt(b, a.Value(i), 10)
	case *array.Uint8:
		return strconv.AppendInt(b, int64(a.Value(i)), 10)
	case *array.Uint16:
		return strconv.AppendInt(b, int64(a.Value(i)), 10)
	case *array.Date32:
		return strconv.AppendInt(b, int64(a.Value(i)), 10)
	case *array.String:
		return append(b, a.Value(i)...)
	case *array.LargeString:
		return append(b, a.Value(i)...)
	case *array.Binary:
		return append(b, a.Value(i)...)
	case *array.LargeBinary:
		return append(b, a.Value(i)...)
	}
	panic(fmt.Sprintf("pipeline: group column of unchecked type %s", a.DataType()))
}
