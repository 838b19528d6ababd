// Package rowcheck validates the shape of parquet-go rows against a schema:
// the structural invariants that readers must guarantee and writers rely on.
// A decoder fed malformed pages can produce rows that break them (a null in
// a required column, a repeated value at repetition level 0, two columns of
// one struct disagreeing on whether it is null); parquet-go's writer indexes
// its buffers with the levels, so such a row can crash it or give a file
// that readers decode differently or reject. The same check runs where rows
// are read, so that the error names the input file and row group, and where
// they are written, so that no row reaches the encoder unchecked.
//
// A [Layout] is immutable once made by [New]; [Layout.Check] may be called
// from any number of goroutines at once and allocates only to report an
// error. Whether a row describes the structure its producer intended is not
// something the package can know.
package rowcheck

import (
	"errors"
	"fmt"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// ErrInvalidRow reports a row whose values do not fit the schema: a
// missing or extra column, a level out of range or inconsistent with its
// neighbours, or a value of the wrong type. Test for it with [errors.Is].
var ErrInvalidRow = errors.New("row does not match schema")

// levels are the maximum repetition and definition levels of a node: those
// of the values of its leaves when the node itself is defined.
type levels struct{ rep, def int }

// Leaf is what a row's values must satisfy in one leaf column. Leaves are
// made by [New]; one built or changed by hand may make [Layout.Check]
// panic.
type Leaf struct {
	Path   string       // dotted column path
	Kind   parquet.Kind // physical type of non-null values
	Length int          // FIXED_LEN_BYTE_ARRAY width, else 0
	MaxRep int          // maximum repetition level
	MaxDef int          // maximum definition level

	// repDef[k-1] is the definition level at which the leaf's k-th
	// repeated ancestor (counting from the root) holds at least one
	// element: a value that repeats at level k, and the value before it,
	// are at least that defined. It has MaxRep entries.
	repDef []int

	// shared are the levels of the deepest ancestor this leaf shares with
	// the previous leaf, named sharedPath (empty for the root). The two
	// columns must describe the same instances of that ancestor; there is
	// nothing to compare when it is the root, or another node that is
	// neither optional nor repeated and has none such above it (shared is
	// then the zero value).
	shared     levels
	sharedPath string
}

// Layout is the list of a schema's leaf columns in column-index order, as
// parquet-go numbers them: depth first, fields in schema order. The zero
// Layout has no columns and accepts only the empty row.
type Layout []Leaf

// New returns the layout of schema; a nil schema has no columns. New reads
// the type of every leaf, which parquet-go can panic on for a damaged schema
// (a group's logical type set on a leaf): callers holding an untrusted
// schema recover from that.
func New(schema *parquet.Schema) Layout {
	if schema == nil {
		return nil
	}
	b := builder{lv: []levels{{}}}
	b.walk(schema, nil)
	return b.layout
}

// builder collects the leaves of a schema in column order.
type builder struct {
	layout   Layout
	lv       []levels // levels of the root and of every node on the current path
	prevPath []string // path of the last leaf seen
}

// walk appends the leaves of n, named by path from the root (empty for the
// root itself), to b.layout. b.lv holds the levels of the nodes above n.
func (b *builder) walk(n parquet.Node, path []string) {
	if len(path) > 0 { // the root carries no repetition
		own := b.lv[len(b.lv)-1]
		if n.Repeated() {
			own.rep++
			own.def++
		} else if n.Optional() {
			own.def++
		}
		b.lv = append(b.lv, own)
		defer func() { b.lv = b.lv[:len(b.lv)-1] }()
	}
	if !n.Leaf() {
		for _, f := range n.Fields() {
			b.walk(f, append(path[:len(path):len(path)], f.Name()))
		}
		return
	}

	own := b.lv[len(b.lv)-1]
	t := n.Type()
	leaf := Leaf{
		Path:   strings.Join(path, "."),
		Kind:   t.Kind(),
		MaxRep: own.rep,
		MaxDef: own.def,
	}
	if leaf.Kind == parquet.FixedLenByteArray {
		leaf.Length = t.Length()
	}
	for i := 1; i < len(b.lv); i++ {
		if b.lv[i].rep > b.lv[i-1].rep {
			leaf.repDef = append(leaf.repDef, b.lv[i].def)
		}
	}
	// b.lv[k] are the levels of the node k steps below the root, so the
	// deepest ancestor shared with the previous leaf, k nodes down, has
	// b.lv[k]. Sibling leaves share their parent; the first leaf shares
	// only the root.
	k := 0
	for k < len(path)-1 && k < len(b.prevPath)-1 && path[k] == b.prevPath[k] {
		k++
	}
	leaf.shared = b.lv[k]
	leaf.sharedPath = strings.Join(path[:k], ".")
	b.prevPath = path
	b.layout = append(b.layout, leaf)
}

// Check reports whether row is a well-formed row of the layout: every
// column present, in order; its first value at repetition level 0, further
// values only in repeated columns, each repeating a repeated field that the
// value and the one before it say has an element; levels within their
// maxima; nulls exactly where the definition level is below the maximum;
// non-null values of the column's physical type (and width); and
// neighbouring columns agreeing on the instances of the fields they share
// (an optional struct is null in all its columns or none, a list of structs
// has as many elements in each). These are the rows that striping a record
// of the schema can give. Errors wrap [ErrInvalidRow] and name the column.
func (l Layout) Check(row parquet.Row) error {
	// The loop only tests; errors are built out of line, which keeps it
	// small: it runs for every row read and written.
	i, prevStart := 0, 0
	for col := range l {
		leaf := &l[col]
		if i == len(row) || row[i].Column() != col || row[i].RepetitionLevel() != 0 {
			return l.columnError(row, i, col)
		}
		if !leaf.fits(&row[i]) {
			return leaf.valueError(col, &row[i])
		}
		start := i
		for i++; i < len(row) && row[i].Column() == col; i++ {
			v := &row[i]
			// A value repeating at level r needs the r-th repeated
			// ancestor to hold an element, by its own definition level
			// and by the previous value's.
			r := v.RepetitionLevel()
			if r < 1 || r > leaf.MaxRep {
				return leaf.repeatError(row, start, i)
			}
			if need := leaf.repDef[r-1]; v.DefinitionLevel() < need || row[i-1].DefinitionLevel() < need {
				return leaf.repeatError(row, start, i)
			}
			if !leaf.fits(v) {
				return leaf.valueError(col, v)
			}
		}
		// Columns sharing only ancestors that are always defined once have
		// one value each, which says nothing about shared fields.
		if sh := leaf.shared; sh != (levels{}) && !sameInstances(row[prevStart:start], row[start:i], sh) {
			return fmt.Errorf("%w: columns %d (%s) and %d (%s) disagree on the instances of %s", ErrInvalidRow, col-1, l[col-1].Path, col, leaf.Path, leaf.sharedPath)
		}
		prevStart = start
	}
	if i != len(row) {
		return fmt.Errorf("%w: value %d belongs to column %d, want at most %d columns in order", ErrInvalidRow, i, row[i].Column(), len(l))
	}
	return nil
}

// fits reports whether the levels and value of v fit the leaf: null below
// the maximum definition level, else non-null of the leaf's kind and width.
// The null test is needed: a null's Kind is that of the out-of-range
// physical type a damaged footer can give a column (parquet-testing's
// PARQUET-1481.parquet).
func (leaf *Leaf) fits(v *parquet.Value) bool {
	if d := v.DefinitionLevel(); d != leaf.MaxDef {
		return d < leaf.MaxDef && v.IsNull()
	}
	return !v.IsNull() && v.Kind() == leaf.Kind && (leaf.Length == 0 || len(v.ByteArray()) == leaf.Length)
}

// columnError describes why row[i] cannot start column col.
func (l Layout) columnError(row parquet.Row, i, col int) error {
	leaf := &l[col]
	if i == len(row) || row[i].Column() != col {
		return fmt.Errorf("%w: no value for column %d (%s)", ErrInvalidRow, col, leaf.Path)
	}
	return fmt.Errorf("%w: column %d (%s): first value has repetition level %d, want 0", ErrInvalidRow, col, leaf.Path, row[i].RepetitionLevel())
}

// valueError describes why v, a value of column col, does not fit the leaf.
func (leaf *Leaf) valueError(col int, v *parquet.Value) error {
	d := v.DefinitionLevel()
	var fault string
	switch {
	case d > leaf.MaxDef:
		fault = fmt.Sprintf("definition level %d above maximum %d", d, leaf.MaxDef)
	case d < leaf.MaxDef:
		fault = fmt.Sprintf("non-null value at definition level %d below maximum %d", d, leaf.MaxDef)
	case v.IsNull():
		fault = fmt.Sprintf("null value at maximum definition level %d", d)
	case v.Kind() != leaf.Kind:
		fault = fmt.Sprintf("%s value in a %s column", v.Kind(), leaf.Kind)
	default:
		fault = fmt.Sprintf("%d-byte value in a %d-byte column", len(v.ByteArray()), leaf.Length)
	}
	return fmt.Errorf("%w: column %d (%s): %s", ErrInvalidRow, col, leaf.Path, fault)
}

// repeatError describes why row[i], a further value of the leaf's column
// after row[start], cannot repeat where it does.
func (leaf *Leaf) repeatError(row parquet.Row, start, i int) error {
	r, d, prev := row[i].RepetitionLevel(), row[i].DefinitionLevel(), row[i-1].DefinitionLevel()
	if r < 1 || r > leaf.MaxRep {
		return fmt.Errorf("%w: column %d (%s): repetition level %d outside [1, %d]", ErrInvalidRow, row[i].Column(), leaf.Path, r, leaf.MaxRep)
	}
	return fmt.Errorf("%w: column %d (%s): value %d repeats at level %d, which needs it and the previous value at definition level %d or more (got %d and %d)",
		ErrInvalidRow, row[i].Column(), leaf.Path, i-start, r, leaf.repDef[r-1], d, prev)
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

// CheckColumns is [Layout.Check] for rows held column by column, for a
// layout without repeated leaves: defs[c][r] is row r's definition level
// in column c (nil for a required column, whose levels are all 0). Values
// and each level's range are the caller's to check; CheckColumns reports
// the first row whose neighbouring columns disagree on the instances of an
// ancestor they share (one column says an optional struct is present, the
// other that it is null), with the row's index.
func (l Layout) CheckColumns(defs [][]byte) error {
	if len(defs) != len(l) {
		return fmt.Errorf("%w: %d columns, want %d", ErrInvalidRow, len(defs), len(l))
	}
	for col := 1; col < len(l); col++ {
		leaf := &l[col]
		sh := leaf.shared
		if sh == (levels{}) {
			continue
		}
		a, b := defs[col-1], defs[col]
		if a != nil && b != nil && len(a) != len(b) {
			return fmt.Errorf("%w: columns %d (%s) and %d (%s) hold %d and %d rows", ErrInvalidRow, col-1, l[col-1].Path, col, leaf.Path, len(a), len(b))
		}
		n := max(len(a), len(b))
		for r := range n {
			da, db := 0, 0
			if a != nil {
				da = int(a[r])
			}
			if b != nil {
				db = int(b[r])
			}
			if min(da, sh.def) != min(db, sh.def) {
				return fmt.Errorf("%w: row %d: columns %d (%s) and %d (%s) disagree on the instances of %s",
					ErrInvalidRow, r, col-1, l[col-1].Path, col, leaf.Path, leaf.sharedPath)
			}
		}
	}
	return nil
}
