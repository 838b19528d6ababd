package gendata

import (
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Schema is the Arrow schema of the rows [Write] generates, column for
// column (the timestamps in microseconds, UTC).
var Schema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "user_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "label", Type: arrow.BinaryTypes.String},
	{Name: "x1", Type: arrow.PrimitiveTypes.Float64},
	{Name: "x2", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "text", Type: arrow.BinaryTypes.String},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
}, nil)

// Reader is an array.RecordReader of the rows [Write] writes for cfg
// (cfg.Rows rows, values from cfg.Seed; StringColumns is not supported),
// made batch by batch in memory: a stream of any length in constant memory.
// Each record is released when the next is read or the reader released.
type Reader struct {
	cfg   Config
	mem   memory.Allocator
	batch int64
	next  int64
	rec   arrow.RecordBatch
	refs  int64
}

var _ array.RecordReader = (*Reader)(nil)

// NewReader returns a Reader of cfg's rows in records of batch rows.
func NewReader(mem memory.Allocator, cfg Config, batch int) *Reader {
	return &Reader{cfg: cfg, mem: mem, batch: int64(max(batch, 1)), refs: 1}
}

// Schema returns [Schema].
func (r *Reader) Schema() *arrow.Schema { return Schema }

// Next makes the next record; false at the end.
func (r *Reader) Next() bool {
	if r.rec != nil {
		r.rec.Release()
		r.rec = nil
	}
	if r.next >= r.cfg.Rows {
		return false
	}
	end := min(r.next+r.batch, r.cfg.Rows)
	b := array.NewRecordBuilder(r.mem, Schema)
	defer b.Release()
	users := max(r.cfg.Rows/20, 1)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	text := make([]byte, 0, 64)
	for id := r.next; id < end; id++ {
		h := mix(r.cfg.Seed, uint64(id))
		user := int64(mix(h, 1) % uint64(users))
		b.Field(0).(*array.Int64Builder).Append(id)
		b.Field(1).(*array.Int64Builder).Append(user)
		b.Field(2).(*array.StringBuilder).Append(label(mix(h, 2) % 100))
		b.Field(3).(*array.Float64Builder).Append(unit(mix(h, 3)))
		if h4 := mix(h, 4); h4%10 == 0 {
			b.Field(4).AppendNull()
		} else {
			b.Field(4).(*array.Float64Builder).Append(2*unit(h4) - 1)
		}
		text = append(text[:0], "user "...)
		text = strconv.AppendInt(text, user, 10)
		text = append(text, " viewed item "...)
		text = strconv.AppendUint(text, mix(h, 5)%1e9, 16)
		text = append(text, " via "...)
		text = append(text, channels[mix(h, 6)%uint64(len(channels))]...)
		b.Field(5).(*array.StringBuilder).BinaryBuilder.Append(text)
		b.Field(6).(*array.TimestampBuilder).Append(arrow.Timestamp(base + id*1000 + int64(mix(h, 7)%1000)))
	}
	r.rec = b.NewRecordBatch()
	r.next = end
	return true
}

// RecordBatch returns the current record, valid until the next call of
// Next or Release.
func (r *Reader) RecordBatch() arrow.RecordBatch { return r.rec }

// Record returns the current record.
//
// Deprecated: use RecordBatch (the name arrow-go's interface keeps).
func (r *Reader) Record() arrow.RecordBatch { return r.rec }

// Err returns nil: making rows cannot fail.
func (r *Reader) Err() error { return nil }

// Retain adds a reference to the reader.
func (r *Reader) Retain() { r.refs++ }

// Release drops a reference; the last one releases the current record.
func (r *Reader) Release() {
	r.refs--
	if r.refs == 0 && r.rec != nil {
		r.rec.Release()
		r.rec = nil
	}
}
