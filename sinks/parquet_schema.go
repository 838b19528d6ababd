package sinks

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"
)

// ErrInvalidRow is the class of errors returned when a row does not match
// the schema it is encoded with: a missing or extra column, a level out of
// range, or a value of the wrong type. Test for it with [errors.Is].
var ErrInvalidRow = errors.New("row does not match schema")

// outputSchema returns a copy of schema whose leaves carry the encoding and
// codec chosen by the options instead of whatever the schema's nodes say. A
// schema obtained from parquet.File.Schema reports the encodings and codecs
// of the file it was read from, and parquet-go lets a node's own settings
// win over the writer's defaults; without this step the output bytes would
// depend on how the input happened to be written. Names, field order,
// repetition, field ids and types are kept as they are.
func outputSchema(schema *parquet.Schema, codec compress.Codec, dictionary bool) (*parquet.Schema, []leafLayout, error) {
	if schema == nil {
		return nil, nil, errors.New("schema is nil")
	}
	b := schemaRewriter{codec: codec, dictionary: dictionary}
	root := b.rewrite(schema, nil, []levels{{}})
	if len(b.leaves) == 0 {
		return nil, nil, fmt.Errorf("schema %q has no columns", schema.Name())
	}
	if len(b.leaves) > parquet.MaxColumnIndex+1 {
		return nil, nil, fmt.Errorf("schema %q has %d columns, more than the %d parquet-go supports", schema.Name(), len(b.leaves), parquet.MaxColumnIndex+1)
	}
	return parquet.NewSchema(schema.Name(), root), b.leaves, nil
}

// levels are the maximum repetition and definition levels of a node: those
// of the values of its leaves when the node itself is defined.
type levels struct{ rep, def int }

// leafLayout is what a row's values for one leaf column are checked against.
type leafLayout struct {
	path   string
	names  []string // path, one name per level below the root
	kind   parquet.Kind
	length int // FIXED_LEN_BYTE_ARRAY width, else 0
	maxRep int
	maxDef int

	// repDef[k-1] is the definition level at which the leaf's k-th repeated
	// ancestor (counting from the root) holds at least one element: a value
	// that repeats at level k, and the value before it, are at least that
	// defined.
	repDef []int

	// shared are the levels of the deepest ancestor this leaf shares with
	// the previous leaf, named sharedPath (empty for the root). The two
	// columns must describe the same instances of that ancestor.
	shared     levels
	sharedPath string

	// unordered is set for columns whose min/max statistics parquet-go
	// would get wrong or the format leaves undefined; they are written
	// without any (see unorderedType).
	unordered bool
}

// schemaRewriter builds the output schema and the leaf layouts.
type schemaRewriter struct {
	codec      compress.Codec
	dictionary bool
	leaves     []leafLayout
	prevPath   []string // path of the last leaf seen
}

// rewrite returns n with its leaves re-encoded, appending one layout per
// leaf in column order (depth first, fields in order, as parquet-go numbers
// columns). path names n from the root (empty for the root itself); lv holds
// the levels of the root and of every node on that path but n.
func (b *schemaRewriter) rewrite(n parquet.Node, path []string, lv []levels) *outNode {
	own := lv[len(lv)-1]
	if len(path) > 0 { // the root carries no repetition
		if n.Repeated() {
			own.rep++
			own.def++
		} else if n.Optional() {
			own.def++
		}
		lv = append(lv[:len(lv):len(lv)], own)
	}
	out := &outNode{Node: n}
	if !n.Leaf() {
		fields := n.Fields()
		out.fields = make([]parquet.Field, len(fields))
		for i, f := range fields {
			child := b.rewrite(f, append(path[:len(path):len(path)], f.Name()), lv)
			out.fields[i] = &outField{outNode: child, orig: f}
		}
		return out
	}

	kind := n.Type().Kind()
	out.codec = b.codec
	out.enc = &parquet.Plain
	if kind == parquet.ByteArray && b.dictionary {
		out.enc = &parquet.RLEDictionary
	}
	leaf := leafLayout{
		path:      strings.Join(path, "."),
		names:     path,
		kind:      kind,
		maxRep:    own.rep,
		maxDef:    own.def,
		unordered: unorderedType(n.Type()),
	}
	if kind == parquet.FixedLenByteArray {
		leaf.length = n.Type().Length()
	}
	for i := 1; i < len(lv); i++ {
		if lv[i].rep > lv[i-1].rep {
			leaf.repDef = append(leaf.repDef, lv[i].def)
		}
	}
	// lv[k] are the levels of the node k steps below the root, so the
	// deepest ancestor shared with the previous leaf, k nodes down, has
	// lv[k]. Sibling leaves share their parent; the first leaf shares
	// nothing and checks nothing.
	k := 0
	for k < len(path)-1 && k < len(b.prevPath)-1 && path[k] == b.prevPath[k] {
		k++
	}
	leaf.shared = lv[k]
	leaf.sharedPath = strings.Join(path[:k], ".")
	b.prevPath = path
	b.leaves = append(b.leaves, leaf)
	return out
}

// unorderedType reports whether min/max statistics of columns of type t
// must not be written. The Parquet format orders DECIMAL values stored as
// FIXED_LEN_BYTE_ARRAY or BYTE_ARRAY as signed big-endian integers, but
// parquet-go compares their bytes unsigned, so that a column holding -1
// and 1 would claim min 1 and max -1, and readers that skip row groups or
// pages by statistics would drop matching rows (parquet-go/parquet-go issue
// 592, fixed after v0.32.0 by pull request 595: revisit when upgrading,
// since writing the statistics would change output bytes). INT96 and
// INTERVAL have no defined order. For these columns the output carries null
// counts but no min/max in page headers, column chunk statistics or the
// column index, which readers take as "unknown" and which is always
// correct.
func unorderedType(t parquet.Type) bool {
	switch t.Kind() {
	case parquet.Int96:
		return true
	case parquet.ByteArray, parquet.FixedLenByteArray:
		if lt := t.LogicalType(); lt != nil {
			if _, ok := lt.Value.(*format.DecimalType); ok {
				return true
			}
		}
		if ct := t.ConvertedType(); ct != nil && (*ct == deprecated.Decimal || *ct == deprecated.Interval) {
			return true
		}
	}
	return false
}

// outNode overrides the encoding and codec of a schema node, and the fields
// of a group so that its leaves are overridden too. Everything else is the
// wrapped node's.
type outNode struct {
	parquet.Node
	enc    encoding.Encoding
	codec  compress.Codec
	fields []parquet.Field
}

// Encoding implements parquet.Node; it is nil for groups.
func (n *outNode) Encoding() encoding.Encoding { return n.enc }

// Compression implements parquet.Node; it is nil for groups.
func (n *outNode) Compression() compress.Codec { return n.codec }

// Fields implements parquet.Node.
func (n *outNode) Fields() []parquet.Field { return n.fields }

// outField is an [outNode] under its name in the parent group.
type outField struct {
	*outNode
	orig parquet.Field
}

// Name implements parquet.Field.
func (f *outField) Name() string { return f.orig.Name() }

// Value implements parquet.Field.
func (f *outField) Value(base reflect.Value) reflect.Value { return f.orig.Value(base) }

var _ parquet.Field = (*outField)(nil)

// checkRow reports whether row is a well-formed row of the schema described
// by leaves: every column present, in order; its first value at repetition
// level 0, further values only in repeated columns, each repeating a
// repeated field that the value and the one before it say has an element;
// levels within their maxima; nulls exactly where the definition level is
// below the maximum; non-null values of the column's physical type (and
// width); and neighbouring columns agreeing on the instances of the fields
// they share (an optional struct is null in all its columns or none, a list
// of structs has as many elements in each). parquet-go's writer indexes its
// buffers with these fields, so an unchecked row could crash it, and levels
// that disagree give files that readers decode differently or reject.
// Whether the row describes the structure the caller intended is not
// checked.
func checkRow(row parquet.Row, leaves []leafLayout) error {
	i, prevStart := 0, 0
	for col := range leaves {
		leaf := &leaves[col]
		if i == len(row) || row[i].Column() != col {
			return fmt.Errorf("%w: no value for column %d (%s)", ErrInvalidRow, col, leaf.path)
		}
		if r := row[i].RepetitionLevel(); r != 0 {
			return fmt.Errorf("%w: column %d (%s): first value has repetition level %d, want 0", ErrInvalidRow, col, leaf.path, r)
		}
		start := i
		for ; i < len(row) && row[i].Column() == col; i++ {
			v := row[i]
			d := v.DefinitionLevel()
			if i > start {
				r := v.RepetitionLevel()
				if r < 1 || r > leaf.maxRep {
					return fmt.Errorf("%w: column %d (%s): repetition level %d outside [1, %d]", ErrInvalidRow, col, leaf.path, r, leaf.maxRep)
				}
				if need := leaf.repDef[r-1]; d < need || row[i-1].DefinitionLevel() < need {
					return fmt.Errorf("%w: column %d (%s): value %d repeats at level %d, which needs it and the previous value at definition level %d or more (got %d and %d)",
						ErrInvalidRow, col, leaf.path, i-start, r, need, d, row[i-1].DefinitionLevel())
				}
			}
			switch {
			case d > leaf.maxDef:
				return fmt.Errorf("%w: column %d (%s): definition level %d above maximum %d", ErrInvalidRow, col, leaf.path, d, leaf.maxDef)
			case d < leaf.maxDef:
				if !v.IsNull() {
					return fmt.Errorf("%w: column %d (%s): non-null value at definition level %d below maximum %d", ErrInvalidRow, col, leaf.path, d, leaf.maxDef)
				}
			case v.IsNull():
				return fmt.Errorf("%w: column %d (%s): null value at maximum definition level %d", ErrInvalidRow, col, leaf.path, d)
			case v.Kind() != leaf.kind:
				return fmt.Errorf("%w: column %d (%s): %s value in a %s column", ErrInvalidRow, col, leaf.path, v.Kind(), leaf.kind)
			case leaf.length != 0 && len(v.ByteArray()) != leaf.length:
				return fmt.Errorf("%w: column %d (%s): %d-byte value in a %d-byte column", ErrInvalidRow, col, leaf.path, len(v.ByteArray()), leaf.length)
			}
		}
		// Columns under the root alone have one value each, which says
		// nothing about shared fields.
		if sh := leaf.shared; (sh.rep > 0 || sh.def > 0) && !sameInstances(row[prevStart:start], row[start:i], sh) {
			return fmt.Errorf("%w: columns %d (%s) and %d (%s) disagree on the instances of %s", ErrInvalidRow, col-1, leaves[col-1].path, col, leaf.path, leaf.sharedPath)
		}
		prevStart = start
	}
	if i != len(row) {
		return fmt.Errorf("%w: value %d belongs to column %d, want at most %d columns in order", ErrInvalidRow, i, row[i].Column(), len(leaves))
	}
	return nil
}

// sameInstances reports whether the values a and b of two columns under a
// common ancestor with levels sh describe the same instances of it: the
// values that start a new instance (repetition level at most sh.rep) must
// pair up with equal repetition levels and equal definition levels up to
// sh.def. Deeper levels are each column's own.
func sameInstances(a, b []parquet.Value, sh levels) bool {
	i, j := 0, 0
	for {
		for i < len(a) && a[i].RepetitionLevel() > sh.rep {
			i++
		}
		for j < len(b) && b[j].RepetitionLevel() > sh.rep {
			j++
		}
		if i == len(a) || j == len(b) {
			return i == len(a) && j == len(b)
		}
		if a[i].RepetitionLevel() != b[j].RepetitionLevel() || min(a[i].DefinitionLevel(), sh.def) != min(b[j].DefinitionLevel(), sh.def) {
			return false
		}
		i++
		j++
	}
}
