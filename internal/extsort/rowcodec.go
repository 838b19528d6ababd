package extsort

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
)

// The row codec: how a spilling shuffle writes rows to its temporary
// files. They are read back only by the same process, so the format is
// ours and simple: no compression, no encoding work beyond copying, which
// spares the shuffle a Parquet encode and decode of every row. A row is
//
//	uvarint(values) then, per value: a kind byte (0x80 set for null),
//	uvarint(repetition level), uvarint(definition level), uvarint(column),
//	and the payload: 1 byte (boolean), 4 (int32, float), 8 (int64,
//	double), 12 (int96) little-endian, or uvarint(length) and the bytes
//	(byte arrays of either kind). Nulls have no payload.

const nullKind = 0x80

// AppendRow appends the encoding of row to b.
func AppendRow(b []byte, row parquet.Row) []byte {
	b = binary.AppendUvarint(b, uint64(len(row)))
	for _, v := range row {
		kind := byte(v.Kind())
		if v.IsNull() {
			kind = nullKind
		}
		b = append(b, kind)
		b = binary.AppendUvarint(b, uint64(v.RepetitionLevel()))
		b = binary.AppendUvarint(b, uint64(v.DefinitionLevel()))
		b = binary.AppendUvarint(b, uint64(v.Column()))
		if v.IsNull() {
			continue
		}
		switch v.Kind() {
		case parquet.Boolean:
			if v.Boolean() {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
		case parquet.Int32:
			b = binary.LittleEndian.AppendUint32(b, uint32(v.Int32()))
		case parquet.Int64:
			b = binary.LittleEndian.AppendUint64(b, uint64(v.Int64()))
		case parquet.Int96:
			i := v.Int96()
			b = binary.LittleEndian.AppendUint32(b, i[0])
			b = binary.LittleEndian.AppendUint32(b, i[1])
			b = binary.LittleEndian.AppendUint32(b, i[2])
		case parquet.Float:
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v.Float()))
		case parquet.Double:
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v.Double()))
		default: // ByteArray, FixedLenByteArray
			bs := v.ByteArray()
			b = binary.AppendUvarint(b, uint64(len(bs)))
			b = append(b, bs...)
		}
	}
	return b
}

// ErrDamaged reports spill data that does not decode.
var ErrDamaged = errors.New("damaged spill data")

// Decoder reads rows back from data AppendRow wrote. The rows' byte arrays
// point into the data, which must outlive them; the values of all rows
// share one slab.
type Decoder struct {
	data []byte
	off  int
	slab []parquet.Value
}

func (d *Decoder) uvarint() (uint64, error) {
	x, n := binary.Uvarint(d.data[d.off:])
	if n <= 0 {
		return 0, ErrDamaged
	}
	d.off += n
	return x, nil
}

func (d *Decoder) bytes(n int) ([]byte, error) {
	if n < 0 || n > len(d.data)-d.off {
		return nil, ErrDamaged
	}
	b := d.data[d.off : d.off+n : d.off+n]
	d.off += n
	return b, nil
}

// More reports whether rows remain.
func (d *Decoder) More() bool { return d.off < len(d.data) }

// Row decodes the next row.
func (d *Decoder) Row() (parquet.Row, error) {
	n, err := d.uvarint()
	if err != nil || n > uint64(len(d.data)) {
		return nil, ErrDamaged
	}
	if len(d.slab) < int(n) {
		d.slab = make([]parquet.Value, max(int(n), 4096))
	}
	row := d.slab[:n:n]
	d.slab = d.slab[n:]
	for i := range row {
		kb, err := d.bytes(1)
		if err != nil {
			return nil, err
		}
		var levels [3]uint64
		for j := range levels {
			if levels[j], err = d.uvarint(); err != nil {
				return nil, err
			}
		}
		rep, def, col := int(levels[0]), int(levels[1]), int(levels[2])
		var v parquet.Value
		kind := kb[0]
		if kind == nullKind {
			row[i] = parquet.NullValue().Level(rep, def, col)
			continue
		}
		switch parquet.Kind(kind) {
		case parquet.Boolean:
			b, err := d.bytes(1)
			if err != nil {
				return nil, err
			}
			v = parquet.BooleanValue(b[0] != 0)
		case parquet.Int32, parquet.Float:
			b, err := d.bytes(4)
			if err != nil {
				return nil, err
			}
			u := binary.LittleEndian.Uint32(b)
			if parquet.Kind(kind) == parquet.Int32 {
				v = parquet.Int32Value(int32(u))
			} else {
				v = parquet.FloatValue(math.Float32frombits(u))
			}
		case parquet.Int64, parquet.Double:
			b, err := d.bytes(8)
			if err != nil {
				return nil, err
			}
			u := binary.LittleEndian.Uint64(b)
			if parquet.Kind(kind) == parquet.Int64 {
				v = parquet.Int64Value(int64(u))
			} else {
				v = parquet.DoubleValue(math.Float64frombits(u))
			}
		case parquet.Int96:
			b, err := d.bytes(12)
			if err != nil {
				return nil, err
			}
			v = parquet.Int96Value(deprecated.Int96{binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:]), binary.LittleEndian.Uint32(b[8:])})
		case parquet.ByteArray, parquet.FixedLenByteArray:
			n, err := d.uvarint()
			if err != nil || n > uint64(len(d.data)) {
				return nil, ErrDamaged
			}
			b, err := d.bytes(int(n))
			if err != nil {
				return nil, err
			}
			if parquet.Kind(kind) == parquet.ByteArray {
				v = parquet.ByteArrayValue(b)
			} else {
				v = parquet.FixedLenByteArrayValue(b)
			}
		default:
			return nil, fmt.Errorf("%w: value kind %d", ErrDamaged, kind)
		}
		row[i] = v.Level(rep, def, col)
	}
	return row, nil
}

// NewDecoder returns a Decoder of the rows in data.
func NewDecoder(data []byte) *Decoder { return &Decoder{data: data} }
