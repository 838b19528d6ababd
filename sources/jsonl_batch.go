package sources

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/splitdata/splitdata/internal/columnar"
)

// The columnar path of JSON Lines inputs: each record's values go
// straight into the columns of a [columnar.Batch]. Records are read as
// the row path reads them (eachPair); the values, the errors and their
// order are those of [JSONL.ReadUnit].

var _ BatchReader = (*JSONL)(nil)

// ReadBatch parses the records of unit i into a new columnar batch owned
// by the caller, with the rows, values and levels [JSONL.ReadUnit] yields
// and, for a unit read with an error, ReadUnit's error. The batch takes a
// value slot of at most 8 bytes and a level per column and record, where
// the row path takes a parquet.Value of 24, plus the text of its strings.
// ReadBatch may be called from several goroutines at once.
func (j *JSONL) ReadBatch(ctx context.Context, i int) (*columnar.Batch, error) {
	return j.ReadBatchInto(ctx, i, nil)
}

// ReadBatchInto is [JSONL.ReadBatch] converting into reuse's memory where
// it is large enough: reuse, a batch the caller no longer needs (nor
// anything sliced from it) of a source of the same layout, is overwritten
// and returned. A nil reuse, or one of another layout, is ignored.
func (j *JSONL) ReadBatchInto(ctx context.Context, i int, reuse *columnar.Batch) (*columnar.Batch, error) {
	if err := j.checkUnit(i); err != nil {
		return nil, err
	}
	layout, err := j.Layout()
	if err != nil {
		return nil, err
	}
	b := batchFor(layout, int(j.units[i].rows), reuse)
	put := func(c int, p jsonPair) error { return j.appendValue(&b.Cols[c], c, p) }
	missing := func(c int) { appendNull(&b.Cols[c]) }
	got, err := j.eachRecord(ctx, i, put, missing, func(int64) error {
		b.Len++
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := j.checkRecords(i, got); err != nil {
		return nil, err
	}
	return b, nil
}

// eachPair calls fn with each key and value of line, in order, as
// parseLine calls its callback, and returns its errors as parseLine does:
// a line splitObject takes (st holds its pairs) is cut in place,
// parseLine reads the others. fn must not keep the key or the value's
// text.
func (j *JSONL) eachPair(line []byte, st *jsonLine, fn func(key []byte, p jsonPair) error) error {
	if utf8.Valid(line) && splitObject(line, st) {
		for _, p := range st.pairs {
			if err := fn(p.key, p); err != nil {
				return &keyError{string(p.key), err}
			}
		}
		return nil
	}
	return j.parseLine(line, func(key string, tok any) error {
		p, err := pairOf(tok)
		if err != nil {
			return err
		}
		return fn([]byte(key), p)
	})
}

// column returns the index of the column named key, trying *next
// first, and sets *next to the column after it: records mostly hold
// their keys in the order of the columns.
func (j *JSONL) column(key []byte, next *int) (int, bool) {
	c := *next
	if c >= len(j.cols) || j.cols[c].Name != string(key) {
		var ok bool
		if c, ok = j.index[string(key)]; !ok {
			return 0, false
		}
	}
	*next = c + 1
	return c, true
}

// pairOf returns the value parseLine read as a pair's value.
func pairOf(tok any) (jsonPair, error) {
	switch t := tok.(type) {
	case nil:
		return jsonPair{kind: jsonNull}, nil
	case bool:
		if t {
			return jsonPair{kind: jsonTrue}, nil
		}
		return jsonPair{kind: jsonFalse}, nil
	case json.Number:
		return jsonPair{kind: jsonNumber, text: []byte(t)}, nil
	case string:
		return jsonPair{kind: jsonString, text: []byte(t)}, nil
	}
	return jsonPair{}, fmt.Errorf("unexpected JSON token %T", tok)
}

// appendNull appends a null to col, an optional column.
func appendNull(col *columnar.Column) {
	col.Defs = append(col.Defs, 0)
	if col.Width == 0 {
		col.Offsets = append(col.Offsets, col.Offsets[len(col.Offsets)-1])
	} else {
		col.Fixed = append(col.Fixed, csvZeros[:col.Width]...)
	}
}

// appendValue appends p's value to col, the column of column c of a batch,
// converted as [JSONL.value] converts it, or returns the error value
// returns.
func (j *JSONL) appendValue(col *columnar.Column, c int, p jsonPair) error {
	typ := j.cols[c].Type
	text := unsafe.String(unsafe.SliceData(p.text), len(p.text)) // used before p.text changes
	switch p.kind {
	case jsonNull:
		if col.MaxDef == 0 {
			return fmt.Errorf("%w: null in a required column", ErrCorrupt)
		}
		appendNull(col)
		return nil
	case jsonTrue, jsonFalse:
		if typ != CSVBool {
			return j.typeError(c, strconv.FormatBool(p.kind == jsonTrue), "")
		}
		v := byte(0)
		if p.kind == jsonTrue {
			v = 1
		}
		col.Fixed = append(col.Fixed, v)
	case jsonNumber:
		switch typ {
		case CSVInt64:
			// A JSON number is an int64 (numberKind) exactly when
			// ParseInt reads it.
			n, err := strconv.ParseInt(text, 10, 64)
			if err != nil {
				return j.typeError(c, text, "")
			}
			col.Fixed = binary.LittleEndian.AppendUint64(col.Fixed, uint64(n))
		case CSVDouble:
			f, err := strconv.ParseFloat(text, 64)
			if err != nil {
				return j.typeError(c, text, "out of range")
			}
			col.Fixed = binary.LittleEndian.AppendUint64(col.Fixed, math.Float64bits(f))
		default:
			return j.typeError(c, text, "")
		}
	case jsonString:
		switch typ {
		case CSVString:
			if int64(len(col.Bytes))+int64(len(text)) > math.MaxUint32 {
				return fmt.Errorf("%w: %w", ErrUnsupported, columnar.ErrTooLarge)
			}
			col.Bytes = append(col.Bytes, text...)
			col.Offsets = append(col.Offsets, uint32(len(col.Bytes)))
		case CSVDate:
			d, err := parseCSVDate(text)
			if err != nil {
				return j.typeError(c, strconv.Quote(text), "want YYYY-MM-DD")
			}
			col.Fixed = binary.LittleEndian.AppendUint32(col.Fixed, uint32(d))
		case CSVTimestamp:
			ts, err := parseCSVTimestamp(text)
			if err != nil {
				return j.typeError(c, strconv.Quote(text), err.Error())
			}
			col.Fixed = binary.LittleEndian.AppendUint64(col.Fixed, uint64(ts))
		default:
			return j.typeError(c, strconv.Quote(text), "")
		}
	}
	if col.MaxDef > 0 {
		col.Defs = append(col.Defs, col.MaxDef)
	}
	return nil
}
