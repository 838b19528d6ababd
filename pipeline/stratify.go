package pipeline

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/scratch"
	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/splitter"
)

// Stratified jobs (docs/algorithm.md sections 12 and 13). A first pass
// reads only the stratify column (Parquet inputs read that column's chunks
// alone) and numbers every row's class: classes in ascending order of their
// canonical bytes (those of grouped splits: null first). The class ids are
// kept, 4 bytes per row, for the boundary search and the main pass, which
// then assigns every row from its class, key and index.

// classTable is the class of every row of a stratified job.
type classTable struct {
	ids    *rowTable[uint32] // per global row
	counts []int64           // per class
	names  []string          // per class, its canonical bytes
}

// columnFor returns the leaf column of a --group or --stratify column: a
// non-repeated boolean, integer or string column.
func columnFor(schema *parquet.Schema, flag, name string) (int, error) {
	leaf, ok := schema.Lookup(strings.Split(name, ".")...)
	if !ok {
		return 0, fmt.Errorf("%w: %s %q: no such column; the columns are %s", ErrUsage, flag, name, columnNames(schema))
	}
	if leaf.MaxRepetitionLevel > 0 {
		return 0, fmt.Errorf("%w: %s %q: a repeated column cannot %s rows", ErrUsage, flag, name, strings.TrimPrefix(flag, "--"))
	}
	switch leaf.Node.Type().Kind() {
	case parquet.Boolean, parquet.Int32, parquet.Int64, parquet.ByteArray:
		return leaf.ColumnIndex, nil
	}
	return 0, fmt.Errorf("%w: %s %q: unsupported column type %s (want a boolean, integer or string column)", ErrUsage, flag, name, leaf.Node.Type())
}

// readCanonical passes the canonical bytes (see canonicalBytes) of the
// value of column col in every row k of unit u to fn, as readValues
// passes the values. The bytes are valid only until fn returns.
func readCanonical(ctx context.Context, p *plan, u unit, col int, fn func(k int, canonical []byte)) error {
	var buf []byte
	return readValues(ctx, p, u, col, func(k int, v parquet.Value) {
		buf = canonicalBytes(buf[:0], v)
		fn(k, buf)
	})
}

// columnValue returns row's value of leaf column col (a non-repeated leaf).
func columnValue(row parquet.Row, col int) parquet.Value {
	for _, v := range row {
		if v.Column() == col {
			return v
		}
	}
	return parquet.NullValue()
}

// stratifiedPlacer builds the assignment of a stratified job over the
// plan's rows: per-class sizes for the command (kfold: KFold's fold sizes;
// split and sample: the exact sizes of the split list), per-class
// boundaries, and a place function reading each row's class from the class
// table (in memory up to limit bytes, else in a file in dir). The
// boundary search takes what the table leaves of memory (searchMemory).
// It returns the rows in no split too, and a function that releases the
// table once the job is done.
func stratifiedPlacer(ctx context.Context, command string, splits []splitter.Split, p *plan, column string, master *prng.PCG64, workers int, limit, memory int64, dir scratch.Dir, progress Progress) (placeFunc, int64, func(), error) {
	col, err := columnFor(p.schema, "--stratify", column)
	if err != nil {
		return nil, 0, nil, err
	}
	progress.Phase("classes", p.rows)
	lim := classLimits{what: fmt.Sprintf("--stratify %q", column), classes: splitter.MaxStratifyClasses,
		bytes: splitter.MaxStratifyClassBytes, hint: " (to keep an id column's rows together, use --group)"}
	ct, err := readClasses(ctx, p, col, workers, limit, dir, lim, progress)
	if err != nil {
		return nil, 0, nil, err
	}
	fail := func(err error) (placeFunc, int64, func(), error) {
		ct.ids.close()
		return nil, 0, nil, err
	}
	var sizes [][]int64
	if command == "kfold" {
		sizes, err = splitter.StratifiedKFoldSizes(ct.counts, len(splits))
	} else {
		sizes, err = splitter.StratifiedSizes(ct.counts, splits)
	}
	if err != nil {
		return fail(err)
	}
	unassigned := p.rows
	for _, row := range sizes {
		for _, x := range row {
			unassigned -= x
		}
	}
	if len(sizes) == 0 { // no rows, no classes
		return func([]uint64, int64, []uint8) error { return nil }, 0, ct.ids.close, nil
	}
	progress.Phase("boundaries", 0) // no rows counted: a spinner
	held := tableBytes(ct.ids)
	for _, name := range ct.names {
		held += int64(len(name)) + 16
	}
	var readErr error
	bounds, err := splitter.StratifiedBoundaries(ctx, master, ct.ids.batches(&readErr), p.rows, sizes, workers, searchMemory(memory, held))
	if err == nil {
		err = readErr
	}
	if err != nil {
		return fail(searchError(err, fmt.Sprintf("--stratify %q", column), memory, held, len(sizes), len(sizes)*len(sizes[0])))
	}
	a := splitter.NewStratifiedAssigner(bounds, len(splits))
	place := func(keys []uint64, start int64, ids []uint8) error {
		classes, err := ct.ids.read(start, len(keys), nil)
		if err != nil {
			return err
		}
		a.Assign(classes, keys, start, ids)
		return nil
	}
	return place, unassigned, ct.ids.close, nil
}

// canonicalBytes appends the canonical bytes of a group or class value to b:
// 0x00 for null; else 0x01 followed by the value's text: an integer in
// decimal, a boolean as "true" or "false", a string or binary as its bytes.
// They are what docs/algorithm.md hashes (groups) and sorts (classes).
func canonicalBytes(b []byte, v parquet.Value) []byte {
	if v.IsNull() {
		return append(b, 0)
	}
	b = append(b, 1)
	switch v.Kind() {
	case parquet.Boolean:
		return strconv.AppendBool(b, v.Boolean())
	case parquet.Int32:
		return strconv.AppendInt(b, int64(v.Int32()), 10)
	case parquet.Int64:
		return strconv.AppendInt(b, v.Int64(), 10)
	default:
		return append(b, v.ByteArray()...)
	}
}

// columnNames lists a schema's leaf columns, dotted, for an error message:
// at most 20, then how many more.
func columnNames(schema *parquet.Schema) string {
	const most = 20
	cols := schema.Columns()
	names := make([]string, 0, min(len(cols), most+1))
	for i, c := range cols {
		if i == most {
			names = append(names, fmt.Sprintf("and %d more", len(cols)-most))
			break
		}
		names = append(names, strings.Join(c, "."))
	}
	return strings.Join(names, ", ")
}
