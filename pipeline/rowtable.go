package pipeline

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"github.com/splitdata/splitdata/internal/scratch"
)

// rowTable holds one fixed-width value per global row (a class id, a group
// key) for the passes that need it again: in memory when the table fits in
// the job's memory limit, else in a temporary file, read back a batch at a
// time. Writers and readers may work on disjoint row ranges concurrently.
type rowTable[T uint32 | uint64] struct {
	n    int64
	mem  []T
	file scratch.File
}

// newRowTable makes a table of n rows, in memory when n values take at most
// limit bytes, else in a file of dir, removed by close. Each range of rows
// is written once, by WriteAt (a range is one segment in a bucket).
func newRowTable[T uint32 | uint64](n, limit int64, dir scratch.Dir) (*rowTable[T], error) {
	t := &rowTable[T]{n: n}
	if n*t.width() <= limit {
		t.mem = make([]T, n)
		return t, nil
	}
	// A local file loses its name at once (Unix), so a killed run leaves
	// nothing behind.
	f, err := dir.Create("splitdata-rows", scratch.Options{})
	if err != nil {
		return nil, fmt.Errorf("temporary row table: %w", err)
	}
	t.file = f
	if err := f.Truncate(n * t.width()); err != nil {
		t.close()
		return nil, fmt.Errorf("temporary row table: %w", err)
	}
	return t, nil
}

func (t *rowTable[T]) width() int64 {
	var v T
	return int64(unsafe.Sizeof(v))
}

// write stores vals as the values of rows start, start+1, ...
func (t *rowTable[T]) write(start int64, vals []T) error {
	if t.mem != nil {
		copy(t.mem[start:], vals)
		return nil
	}
	b := make([]byte, 0, int64(len(vals))*t.width())
	for _, v := range vals {
		if t.width() == 4 {
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		} else {
			b = binary.LittleEndian.AppendUint64(b, uint64(v))
		}
	}
	if _, err := t.file.WriteAt(b, start*t.width()); err != nil {
		return fmt.Errorf("temporary row table: %w", err)
	}
	return nil
}

// read returns the values of rows start to start+n-1: in memory, a slice
// of the table itself; from the file, decoded into scratch (grown as
// needed).
func (t *rowTable[T]) read(start int64, n int, scratch []T) ([]T, error) {
	if t.mem != nil {
		return t.mem[start : start+int64(n)], nil
	}
	if cap(scratch) < n {
		scratch = make([]T, n)
	}
	dst := scratch[:n]
	b := make([]byte, int64(n)*t.width())
	if _, err := t.file.ReadAt(b, start*t.width()); err != nil {
		return nil, fmt.Errorf("temporary row table: %w", err)
	}
	for i := range dst {
		if t.width() == 4 {
			dst[i] = T(binary.LittleEndian.Uint32(b[4*i:]))
		} else {
			dst[i] = T(binary.LittleEndian.Uint64(b[8*i:]))
		}
	}
	return dst, nil
}

// batches streams every row's value in order, in batches; it stops at the
// first read error, which err reports afterwards.
func (t *rowTable[T]) batches(err *error) func(yield func(start int64, vals []T) bool) {
	return func(yield func(start int64, vals []T) bool) {
		const step = 1 << 16
		var buf []T
		for start := int64(0); start < t.n; start += step {
			vals, rerr := t.read(start, int(min(step, t.n-start)), buf)
			if rerr != nil {
				*err = rerr
				return
			}
			if !yield(start, vals) {
				return
			}
			if t.mem == nil {
				buf = vals // the file's scratch, reused for the next batch
			}
		}
	}
}

// close removes the table's file, if any.
func (t *rowTable[T]) close() {
	if t.file != nil {
		t.file.Close()
		t.file = nil
	}
}
