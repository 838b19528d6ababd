package sources

import (
	"context"
	"fmt"
	"io"
)

// eachRecord reads the records of unit i in file order, for both read
// paths (ReadUnit's rows, ReadBatchInto's columns): it hands each value to
// put with its column c, each absent key of an optional column to missing,
// then calls done with the record's line, and returns the records read. A
// line that is not a record of the schema (invalid JSON, an unknown or
// repeated key, a value put refuses, a required key missing) is reported
// with its line; a unit holding more records than its scan found as the
// unit's own error. The caller checks that the unit held all its records
// (checkRecords).
func (j *JSONL) eachRecord(ctx context.Context, i int, put func(c int, p jsonPair) error, missing func(c int), done func(line int64) error) (int64, error) {
	u, end := j.units[i], j.unitEnd(i)
	lr := j.newLineReader(u.offset, end)
	set := make([]bool, len(j.cols))
	var st jsonLine
	next := 0
	pair := func(key []byte, p jsonPair) error {
		c, ok := j.column(key, &next)
		if !ok {
			return j.unknownKey(string(key))
		}
		if set[c] {
			return fmt.Errorf("%w: key appears twice in the record", ErrCorrupt)
		}
		set[c] = true
		return put(c, p)
	}
	var got int64
	lineNo := u.line - 1
	for {
		line, _, err := lr.next()
		if err == io.EOF {
			return got, nil
		}
		if err != nil {
			return got, &InputError{Path: j.name, RowGroup: i, Line: lineNo + 1, Err: readError(err)}
		}
		lineNo++
		if blank(line) {
			continue
		}
		if got++; got > u.rows {
			return got, j.tooManyRecords(i, lineNo)
		}
		if got%csvBatchCheck == 0 {
			if err := ctx.Err(); err != nil {
				return got, err
			}
		}
		clear(set)
		next = 0
		if err := j.eachPair(line, &st, pair); err != nil {
			return got, j.lineError(i, lineNo, err)
		}
		for c, ok := range set {
			if ok {
				continue
			}
			if j.cols[c].Required {
				return got, &InputError{Path: j.name, RowGroup: i, Line: lineNo, Column: j.cols[c].Name, Err: fmt.Errorf("%w: key missing in a required column", ErrCorrupt)}
			}
			missing(c)
		}
		if err := done(lineNo); err != nil {
			return got, err
		}
	}
}
