package sources

import (
	"context"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
)

// ReadUnit parses the records of unit i, converts their values to values
// of the schema and streams them to fn in batches of at most batch rows
// (at least 1), in file order. The rows passed to fn, and the byte slices
// of their values, are borrowed: they are valid only until fn returns.
// ReadUnit checks that the unit holds exactly the records the scan found.
// A record that is not valid JSON, or a value that does not fit its column,
// is reported as an [*InputError] with its line and key.
func (j *JSONL) ReadUnit(ctx context.Context, i, batch int, fn func(rows []parquet.Row) error) error {
	if err := j.checkUnit(i); err != nil {
		return err
	}
	u, end := j.units[i], j.unitEnd(i)
	lr := j.newLineReader(u.offset, end)
	ncols := len(j.cols)
	b := newTextBatch(batch, ncols)
	set := make([]bool, ncols)
	var st jsonLine
	next := 0
	var got int64
	lineNo := u.line - 1
	for {
		line, _, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return &InputError{Path: j.name, RowGroup: i, Line: lineNo + 1, Err: readError(err)}
		}
		lineNo++
		if blank(line) {
			continue
		}
		if got++; got > u.rows {
			return j.tooManyRecords(i, lineNo)
		}
		row := b.row()
		clear(set)
		next = 0
		err = j.eachPair(line, &st, func(key []byte, tok jsonPair) error {
			c, ok := j.column(key, &next)
			if !ok {
				return j.unknownKey(string(key))
			}
			if set[c] {
				return fmt.Errorf("%w: key appears twice in the record", ErrCorrupt)
			}
			set[c] = true
			v, err := j.value(c, tok, &b.arena)
			row[c] = v
			return err
		})
		if err != nil {
			return j.lineError(i, lineNo, err)
		}
		for c, ok := range set {
			if ok {
				continue
			}
			if j.cols[c].Required {
				return &InputError{Path: j.name, RowGroup: i, Line: lineNo, Column: j.cols[c].Name, Err: fmt.Errorf("%w: key missing in a required column", ErrCorrupt)}
			}
			row[c] = parquet.NullValue().Level(0, 0, c)
		}
		if err := j.layout.Check(row); err != nil {
			return &InputError{Path: j.name, RowGroup: i, Line: lineNo, Err: fmt.Errorf("%w: %w", ErrCorrupt, err)}
		}
		if err := b.add(ctx, fn); err != nil {
			return err
		}
	}
	if err := b.flush(ctx, fn); err != nil {
		return err
	}
	return j.checkRecords(i, got)
}
