// Package rowcheck validates the shape of parquet-go rows against a schema:
// the structural invariants that readers must guarantee and writers rely on.
// A decoder fed malformed pages can produce rows that break them (a null in
// a required column, a repeated value at repetition level 0); catching that
// where the rows are read lets the error name the input file and row group
// instead of surfacing later in a writer.
package rowcheck

import (
	"errors"
	"fmt"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// ErrInvalidRow reports a row whose values do not fit the schema.
var ErrInvalidRow = errors.New("row does not match schema")

// Leaf is what a row's values must satisfy in one column.
type Leaf struct {
	Path   string       // dotted column path
	Kind   parquet.Kind // physical type of non-null values
	Length int          // FIXED_LEN_BYTE_ARRAY width, else 0
	MaxRep int          // maximum repetition level
	MaxDef int          // maximum definition level
}

// Layout is the list of a schema's leaf columns in column-index order.
type Layout []Leaf

// New returns the layout of schema.
func New(schema *parquet.Schema) Layout {
	cols := schema.Columns()
	l := make(Layout, len(cols))
	for _, path := range cols {
		leaf, ok := schema.Lookup(path...)
		if !ok {
			continue // unreachable: the path comes from the schema
		}
		t := leaf.Node.Type()
		lf := Leaf{
			Path:   strings.Join(path, "."),
			Kind:   t.Kind(),
			MaxRep: leaf.MaxRepetitionLevel,
			MaxDef: leaf.MaxDefinitionLevel,
		}
		if lf.Kind == parquet.FixedLenByteArray {
			lf.Length = t.Length()
		}
		l[leaf.ColumnIndex] = lf
	}
	return l
}

// Check reports whether row is a well-formed row of the layout: every column
// present, in order; its first value at repetition level 0, further values
// only in repeated columns; levels within their maxima; nulls exactly where
// the definition level is below the maximum; non-null values of the
// column's physical type and width. Errors wrap [ErrInvalidRow] and name the
// column.
func (l Layout) Check(row parquet.Row) error {
	i := 0
	for col := range l {
		leaf := &l[col]
		if i == len(row) || row[i].Column() != col {
			return fmt.Errorf("%w: no value for column %d (%s)", ErrInvalidRow, col, leaf.Path)
		}
		if r := row[i].RepetitionLevel(); r != 0 {
			return fmt.Errorf("%w: column %d (%s): first value has repetition level %d, want 0", ErrInvalidRow, col, leaf.Path, r)
		}
		for first := true; i < len(row) && row[i].Column() == col; i, first = i+1, false {
			if err := leaf.check(row[i], first); err != nil {
				return fmt.Errorf("%w: column %d (%s): %s", ErrInvalidRow, col, leaf.Path, err)
			}
		}
	}
	if i != len(row) {
		return fmt.Errorf("%w: value %d belongs to column %d, want %d columns in order", ErrInvalidRow, i, row[i].Column(), len(l))
	}
	return nil
}

func (leaf *Leaf) check(v parquet.Value, first bool) error {
	if r := v.RepetitionLevel(); !first && (r < 1 || r > leaf.MaxRep) {
		return fmt.Errorf("repetition level %d outside [1, %d]", r, leaf.MaxRep)
	}
	d := v.DefinitionLevel()
	switch {
	case d > leaf.MaxDef:
		return fmt.Errorf("definition level %d above maximum %d", d, leaf.MaxDef)
	case d < leaf.MaxDef:
		if !v.IsNull() {
			return fmt.Errorf("non-null value at definition level %d below maximum %d", d, leaf.MaxDef)
		}
	case v.IsNull():
		return fmt.Errorf("null value at maximum definition level %d", d)
	case v.Kind() != leaf.Kind:
		return fmt.Errorf("%s value in a %s column", v.Kind(), leaf.Kind)
	case leaf.Length != 0 && len(v.ByteArray()) != leaf.Length:
		return fmt.Errorf("%d-byte value in a %d-byte column", len(v.ByteArray()), leaf.Length)
	}
	return nil
}
