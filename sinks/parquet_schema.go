package sinks

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"
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
	var leaves []leafLayout
	root := rewriteNode(schema, codec, dictionary, 0, 0, nil, &leaves)
	if len(leaves) == 0 {
		return nil, nil, fmt.Errorf("schema %q has no columns", schema.Name())
	}
	if len(leaves) > parquet.MaxColumnIndex+1 {
		return nil, nil, fmt.Errorf("schema %q has %d columns, more than the %d parquet-go supports", schema.Name(), len(leaves), parquet.MaxColumnIndex+1)
	}
	return parquet.NewSchema(schema.Name(), root), leaves, nil
}

// leafLayout is what a row's values for one leaf column are checked against.
type leafLayout struct {
	path   string
	kind   parquet.Kind
	length int // FIXED_LEN_BYTE_ARRAY width, else 0
	maxRep int
	maxDef int
}

// rewriteNode returns n with its leaves re-encoded, appending one layout per
// leaf in column order (depth first, fields in order, as parquet-go numbers
// columns). rep and def are the maximum levels of n's parent.
func rewriteNode(n parquet.Node, codec compress.Codec, dictionary bool, rep, def int, path []string, leaves *[]leafLayout) *outNode {
	if len(path) > 0 { // the root carries no repetition
		if n.Repeated() {
			rep++
			def++
		} else if n.Optional() {
			def++
		}
	}
	out := &outNode{Node: n}
	if n.Leaf() {
		kind := n.Type().Kind()
		out.codec = codec
		out.enc = &parquet.Plain
		if kind == parquet.ByteArray && dictionary {
			out.enc = &parquet.RLEDictionary
		}
		length := 0
		if kind == parquet.FixedLenByteArray {
			length = n.Type().Length()
		}
		*leaves = append(*leaves, leafLayout{
			path:   strings.Join(path, "."),
			kind:   kind,
			length: length,
			maxRep: rep,
			maxDef: def,
		})
		return out
	}
	fields := n.Fields()
	out.fields = make([]parquet.Field, len(fields))
	for i, f := range fields {
		child := rewriteNode(f, codec, dictionary, rep, def, append(path[:len(path):len(path)], f.Name()), leaves)
		out.fields[i] = &outField{outNode: child, orig: f}
	}
	return out
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
// by leaves: every column present, in order, its first value at repetition
// level 0, further values only in repeated columns, levels within their
// maxima, nulls exactly where the definition level is below the maximum and
// non-null values of the column's physical type (and width). parquet-go's
// writer indexes its buffers with these fields, so an unchecked row could
// crash it; a checked one cannot. Whether the levels of a nested row
// describe the structure the caller intended is not checked.
func checkRow(row parquet.Row, leaves []leafLayout) error {
	i := 0
	for col := range leaves {
		leaf := &leaves[col]
		if i == len(row) || row[i].Column() != col {
			return fmt.Errorf("%w: no value for column %d (%s)", ErrInvalidRow, col, leaf.path)
		}
		if r := row[i].RepetitionLevel(); r != 0 {
			return fmt.Errorf("%w: column %d (%s): first value has repetition level %d, want 0", ErrInvalidRow, col, leaf.path, r)
		}
		for first := true; i < len(row) && row[i].Column() == col; i, first = i+1, false {
			v := row[i]
			if !first {
				if r := v.RepetitionLevel(); r < 1 || r > leaf.maxRep {
					return fmt.Errorf("%w: column %d (%s): repetition level %d outside [1, %d]", ErrInvalidRow, col, leaf.path, r, leaf.maxRep)
				}
			}
			d := v.DefinitionLevel()
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
	}
	if i != len(row) {
		return fmt.Errorf("%w: value %d belongs to column %d, want at most %d columns in order", ErrInvalidRow, i, row[i].Column(), len(leaves))
	}
	return nil
}
