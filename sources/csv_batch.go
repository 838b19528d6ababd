package sources

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/splitdata/splitdata/internal/columnar"
)

// The columnar path of CSV inputs: a unit's fields are converted straight
// into the columns of a [columnar.Batch], with no parquet.Value, row or
// row check between the text and the batch. The values, the errors and
// their order are those of [CSV.ReadUnit]: the records are split by the
// same reader, each field is converted by the rules of CSV.value, and the
// first field that does not fit (in file order) is reported with the same
// line and column.

var _ BatchReader = (*CSV)(nil)

// csvBatchCheck is how many records ReadBatch converts between two looks
// at its context, as ReadUnit looks once per batch of rows it hands out.
const csvBatchCheck = 4096

// ReadBatch parses the records of unit i into a new columnar batch owned
// by the caller. The batch holds the rows [CSV.ReadUnit] yields, in the
// same order, with the same values and definition levels, and a unit read
// with an error gives the error ReadUnit gives. The batch takes no more
// memory than the unit's estimate ([TextUnitBytes]): a value slot of at
// most 8 bytes and a level per field, where the estimate counts 24, plus
// the text of its strings (its capacity may be up to twice that, as
// slices grow). ReadBatch may be called from several goroutines at once.
func (c *CSV) ReadBatch(ctx context.Context, i int) (*columnar.Batch, error) {
	return c.ReadBatchInto(ctx, i, nil)
}

// ReadBatchInto is [CSV.ReadBatch] converting into reuse's memory where it
// is large enough: reuse, a batch the caller no longer needs (nor anything
// sliced from it) of a source of the same layout, is overwritten and
// returned. A nil reuse, or one of another layout, is ignored.
func (c *CSV) ReadBatchInto(ctx context.Context, i int, reuse *columnar.Batch) (*columnar.Batch, error) {
	if err := c.checkUnit(i); err != nil {
		return nil, err
	}
	layout, err := c.Layout()
	if err != nil {
		return nil, err
	}
	b := batchFor(layout, int(c.units[i].rows), reuse)
	put := func(j int, field string) error { return c.appendField(&b.Cols[j], j, field) }
	got, err := c.eachRecord(ctx, i, put, func(func() int64) error {
		b.Len++
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := c.checkRecords(i, got); err != nil {
		return nil, err
	}
	return b, nil
}

// batchFor returns an empty batch of layout with room for rows rows in
// its levels, fixed-width values and offsets: reuse emptied, when it has
// that layout, else a new batch.
func batchFor(layout columnar.Layout, rows int, reuse *columnar.Batch) *columnar.Batch {
	same := reuse != nil && len(reuse.Cols) == len(layout)
	for c := 0; same && c < len(layout); c++ {
		same = reuse.Cols[c].Type == layout[c]
	}
	if !same {
		return columnar.New(layout, rows)
	}
	b := reuse
	b.Len = 0
	for c := range b.Cols {
		col := &b.Cols[c]
		if col.MaxDef > 0 {
			col.Defs = slices.Grow(col.Defs[:0], rows)
		}
		if col.Width == 0 {
			col.Offsets = append(slices.Grow(col.Offsets[:0], rows+1), 0)
			col.Bytes = col.Bytes[:0]
		} else {
			col.Fixed = slices.Grow(col.Fixed[:0], rows*col.Width)
		}
	}
	return b
}

// csvZeros is the value slot of a null of a fixed-width CSV column (at
// most 8 bytes).
var csvZeros [8]byte

// appendField appends field, the text of column j, to col, the column of
// a batch, converted as [CSV.value] converts it, or returns the error
// value returns.
func (c *CSV) appendField(col *columnar.Column, j int, field string) error {
	if field == c.opts.Null {
		if col.MaxDef == 0 {
			return c.requiredNull()
		}
		col.Defs = append(col.Defs, 0)
		if col.Width == 0 {
			col.Offsets = append(col.Offsets, col.Offsets[len(col.Offsets)-1])
		} else {
			col.Fixed = append(col.Fixed, csvZeros[:col.Width]...)
		}
		return nil
	}
	switch c.cols[j].Type {
	case CSVString:
		if !utf8.ValidString(field) {
			return errStringUTF8()
		}
		if int64(len(col.Bytes))+int64(len(field)) > math.MaxUint32 {
			// Out of reach: a unit holds at most about TextUnitBytes, or
			// one record of at most MaxRecordBytes.
			return fmt.Errorf("%w: %w", ErrUnsupported, columnar.ErrTooLarge)
		}
		col.Bytes = append(col.Bytes, field...)
		col.Offsets = append(col.Offsets, uint32(len(col.Bytes)))
	case CSVBool:
		switch {
		case strings.EqualFold(field, "true"):
			col.Fixed = append(col.Fixed, 1)
		case strings.EqualFold(field, "false"):
			col.Fixed = append(col.Fixed, 0)
		default:
			return c.typeError(j, field, "")
		}
	case CSVInt64:
		n, err := strconv.ParseInt(field, 10, 64)
		if err != nil {
			return c.typeError(j, field, "")
		}
		col.Fixed = binary.LittleEndian.AppendUint64(col.Fixed, uint64(n))
	case CSVDouble:
		f, err := strconv.ParseFloat(field, 64)
		if err != nil {
			return c.typeError(j, field, "")
		}
		col.Fixed = binary.LittleEndian.AppendUint64(col.Fixed, math.Float64bits(f))
	case CSVDate:
		d, err := parseCSVDate(field)
		if err != nil {
			return c.typeError(j, field, "")
		}
		col.Fixed = binary.LittleEndian.AppendUint32(col.Fixed, uint32(d))
	case CSVTimestamp:
		ts, err := parseCSVTimestamp(field)
		if err != nil {
			return c.typeError(j, field, err.Error())
		}
		col.Fixed = binary.LittleEndian.AppendUint64(col.Fixed, uint64(ts))
	default:
		return fmt.Errorf("column of unknown type %v", c.cols[j].Type)
	}
	if col.MaxDef > 0 {
		col.Defs = append(col.Defs, col.MaxDef)
	}
	return nil
}
