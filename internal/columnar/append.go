package columnar

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/parquet-go/parquet-go"
)

// The Append methods add rows decoded from a page to a column. defs holds
// the rows' definition levels (nil for a required column: every row
// defined); the values given are those of the defined rows only, in order,
// as Parquet pages store them. Inconsistent input (a level above the
// column's maximum, more or fewer values than defined rows, an offset or a
// dictionary index out of range) is an error, and the column is then left
// in an unspecified state.

// Rows returns the number of rows the column holds.
func (c *Column) Rows() int {
	switch {
	case c.MaxDef > 0:
		return len(c.Defs)
	case c.Width == 0:
		return max(len(c.Offsets)-1, 0)
	default:
		return len(c.Fixed) / c.Width
	}
}

// appendDefs appends n rows' levels and returns how many rows are defined.
func (c *Column) appendDefs(n int, defs []byte) (int, error) {
	if c.MaxDef == 0 {
		if len(defs) != 0 && len(defs) != n {
			return 0, fmt.Errorf("%d definition levels for %d values", len(defs), n)
		}
		if allAt(defs, 0) {
			return n, nil
		}
		for _, d := range defs {
			if d != 0 {
				return 0, fmt.Errorf("definition level %d in a required column", d)
			}
		}
		return n, nil
	}
	if len(defs) != n {
		return 0, fmt.Errorf("%d definition levels for %d values", len(defs), n)
	}
	// A page without nulls, the common case, is checked a word at a time.
	if allAt(defs, c.MaxDef) {
		c.Defs = append(c.Defs, defs...)
		return n, nil
	}
	defined := 0
	for _, d := range defs {
		if d > c.MaxDef {
			return 0, fmt.Errorf("definition level %d above the maximum %d", d, c.MaxDef)
		}
		if d == c.MaxDef {
			defined++
		}
	}
	c.Defs = append(c.Defs, defs...)
	return defined, nil
}

// AppendFixed appends n rows of a fixed-width column; values holds Width
// bytes per defined row.
func (c *Column) AppendFixed(n int, defs, values []byte) error {
	if c.Width == 0 {
		return fmt.Errorf("fixed-width values for a %v column", c.Kind)
	}
	at := len(c.Defs)
	defined, err := c.appendDefs(n, defs)
	if err != nil {
		return err
	}
	if len(values) != defined*c.Width {
		return fmt.Errorf("%d bytes of values for %d defined rows of width %d", len(values), defined, c.Width)
	}
	if defined == n {
		c.Fixed = append(c.Fixed, values...)
		return nil
	}
	w := c.Width
	c.Fixed = grow(c.Fixed, n*w)
	k := 0
	for _, d := range c.Defs[at:] {
		if d == c.MaxDef {
			c.Fixed = append(c.Fixed, values[k*w:k*w+w]...)
			k++
		} else {
			c.appendNullFixed()
		}
	}
	return nil
}

// zeros is a null's value slot; FixedLenByteArray columns wider than it
// are appended byte by byte.
var zeros [16]byte

func grow(b []byte, n int) []byte {
	if cap(b)-len(b) < n {
		nb := make([]byte, len(b), 2*cap(b)+n)
		copy(nb, b)
		b = nb
	}
	return b
}

// appendNullFixed appends a zero value slot of c's width.
func (c *Column) appendNullFixed() {
	if c.Width <= len(zeros) {
		c.Fixed = append(c.Fixed, zeros[:c.Width]...)
		return
	}
	for range c.Width {
		c.Fixed = append(c.Fixed, 0)
	}
}

// AppendByteArrays appends n rows of a ByteArray column; the defined rows'
// values are data[offsets[k]:offsets[k+1]], offsets holding one entry more
// than there are defined rows.
func (c *Column) AppendByteArrays(n int, defs, data []byte, offsets []uint32) error {
	if c.Width != 0 {
		return fmt.Errorf("byte array values for a %v column", c.Kind)
	}
	at := len(c.Defs)
	defined, err := c.appendDefs(n, defs)
	if err != nil {
		return err
	}
	if defined == 0 && len(offsets) == 0 {
		offsets = []uint32{0}
	}
	if len(offsets) != defined+1 {
		return fmt.Errorf("%d offsets for %d defined rows", len(offsets), defined)
	}
	if len(c.Offsets) == 0 {
		c.Offsets = append(c.Offsets, 0)
	}
	first, last := offsets[0], offsets[defined]
	if first > last || int64(last) > int64(len(data)) {
		return fmt.Errorf("byte array offsets [%d, %d] outside %d bytes of data", first, last, len(data))
	}
	base := uint32(len(c.Bytes))
	if int64(base)+int64(last-first) > maxBytes {
		return ErrTooLarge
	}
	c.Bytes = append(c.Bytes, data[first:last]...)
	k := 0
	prev := first
	end := base
	for r := range n {
		if defined == n || c.Defs[at+r] == c.MaxDef {
			o := offsets[k+1]
			if o < prev {
				return fmt.Errorf("byte array offsets decrease at value %d", k)
			}
			end = base + (o - first)
			prev = o
			k++
		}
		c.Offsets = append(c.Offsets, end)
	}
	return nil
}

// AppendIndexed appends n rows of a dictionary-encoded page: indexes[k] is
// the k-th defined row's position in dict, a batch of one column of c's
// type holding the dictionary's values in order.
func (c *Column) AppendIndexed(n int, defs []byte, indexes []int32, dict *Column) error {
	if dict.Kind != c.Kind || dict.Width != c.Width {
		return fmt.Errorf("%v dictionary for a %v column", dict.Kind, c.Kind)
	}
	at := len(c.Defs)
	defined, err := c.appendDefs(n, defs)
	if err != nil {
		return err
	}
	if len(indexes) != defined {
		return fmt.Errorf("%d dictionary indexes for %d defined rows", len(indexes), defined)
	}
	size := dict.Rows()
	for _, x := range indexes {
		if x < 0 || int(x) >= size {
			return fmt.Errorf("dictionary index %d out of range [0, %d)", x, size)
		}
	}
	k := 0
	w := c.Width
	if w == 0 && len(c.Offsets) == 0 {
		c.Offsets = append(c.Offsets, 0)
	}
	for r := range n {
		if defined != n && c.Defs[at+r] != c.MaxDef {
			if w == 0 {
				c.Offsets = append(c.Offsets, c.Offsets[len(c.Offsets)-1])
			} else {
				c.appendNullFixed()
			}
			continue
		}
		x := int(indexes[k])
		k++
		if w == 0 {
			v := dict.Bytes[dict.Offsets[x]:dict.Offsets[x+1]]
			if int64(len(c.Bytes))+int64(len(v)) > maxBytes {
				return ErrTooLarge
			}
			c.Bytes = append(c.Bytes, v...)
			c.Offsets = append(c.Offsets, uint32(len(c.Bytes)))
		} else {
			c.Fixed = append(c.Fixed, dict.Fixed[x*w:x*w+w]...)
		}
	}
	return nil
}

// AppendValue appends one row from a parquet.Value of the column's kind
// (or a null), the slow path for pages whose typed data is not used
// directly.
func (c *Column) AppendValue(v parquet.Value) error {
	def := byte(v.DefinitionLevel())
	if v.RepetitionLevel() != 0 {
		return fmt.Errorf("repetition level %d in a column without repetition", v.RepetitionLevel())
	}
	if _, err := c.appendDefs(1, []byte{def}); err != nil {
		return err
	}
	if def < c.MaxDef || v.IsNull() {
		if def == c.MaxDef {
			return fmt.Errorf("null value at the maximum definition level %d", def)
		}
		if c.Width == 0 {
			if len(c.Offsets) == 0 {
				c.Offsets = append(c.Offsets, 0)
			}
			c.Offsets = append(c.Offsets, c.Offsets[len(c.Offsets)-1])
		} else {
			c.appendNullFixed()
		}
		return nil
	}
	return c.AppendDefined(v)
}

// AppendDefined appends v, a defined value of the column's kind, to the
// column's values and not to its levels, which the caller appends.
func (c *Column) AppendDefined(v parquet.Value) error {
	if v.Kind() != c.Kind {
		return fmt.Errorf("%v value in a %v column", v.Kind(), c.Kind)
	}
	switch c.Kind {
	case parquet.Boolean:
		b := byte(0)
		if v.Boolean() {
			b = 1
		}
		c.Fixed = append(c.Fixed, b)
	case parquet.Int32:
		c.Fixed = binary.LittleEndian.AppendUint32(c.Fixed, uint32(v.Int32()))
	case parquet.Int64:
		c.Fixed = binary.LittleEndian.AppendUint64(c.Fixed, uint64(v.Int64()))
	case parquet.Int96:
		x := v.Int96()
		for _, u := range x {
			c.Fixed = binary.LittleEndian.AppendUint32(c.Fixed, u)
		}
	case parquet.Float:
		c.Fixed = binary.LittleEndian.AppendUint32(c.Fixed, math.Float32bits(v.Float()))
	case parquet.Double:
		c.Fixed = binary.LittleEndian.AppendUint64(c.Fixed, math.Float64bits(v.Double()))
	case parquet.FixedLenByteArray:
		b := v.ByteArray()
		if len(b) != c.Width {
			return fmt.Errorf("fixed-length value of %d bytes in a column of width %d", len(b), c.Width)
		}
		c.Fixed = append(c.Fixed, b...)
	case parquet.ByteArray:
		b := v.ByteArray()
		if len(c.Offsets) == 0 {
			c.Offsets = append(c.Offsets, 0)
		}
		if int64(len(c.Bytes))+int64(len(b)) > maxBytes {
			return ErrTooLarge
		}
		c.Bytes = append(c.Bytes, b...)
		c.Offsets = append(c.Offsets, uint32(len(c.Bytes)))
	}
	return nil
}

// AppendPlainByteArrays appends n rows of a ByteArray column whose defined
// rows' values are PLAIN-encoded at the start of plain, each a 4-byte
// little-endian length and its bytes, and returns how many bytes of plain
// they took. It is AppendByteArrays for a page's bytes as they are, with
// no offsets made first: each value goes straight to Bytes.
func (c *Column) AppendPlainByteArrays(n int, defs, plain []byte) (int, error) {
	if c.Width != 0 {
		return 0, fmt.Errorf("byte array values for a %v column", c.Kind)
	}
	at := len(c.Defs)
	defined, err := c.appendDefs(n, defs)
	if err != nil {
		return 0, err
	}
	if len(c.Offsets) == 0 {
		c.Offsets = append(c.Offsets, 0)
	}
	pos := 0
	for r := range n {
		if defined == n || c.Defs[at+r] == c.MaxDef {
			if len(plain)-pos < 4 {
				return 0, fmt.Errorf("byte array value %d: length past the page's %d bytes", r, len(plain))
			}
			size := int64(binary.LittleEndian.Uint32(plain[pos:]))
			pos += 4
			if size > int64(len(plain)-pos) {
				return 0, fmt.Errorf("byte array value %d of %d bytes overruns the page's %d bytes", r, size, len(plain))
			}
			if int64(len(c.Bytes))+size > maxBytes {
				return 0, ErrTooLarge
			}
			c.Bytes = append(c.Bytes, plain[pos:pos+int(size)]...)
			pos += int(size)
		}
		c.Offsets = append(c.Offsets, uint32(len(c.Bytes)))
	}
	return pos, nil
}
