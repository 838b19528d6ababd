package pipeline

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/splitdata/splitdata/internal/scratch"
)

// spillFile is a temporary file written through a buffer, then read back
// from its start: the pairs of a key range, the groups of a level, or the
// groups' splits.
type spillFile struct {
	f scratch.File
}

// newSpillFile makes a file in dir, one of files written at once.
func newSpillFile(dir scratch.Dir, name string, files int) (*spillFile, error) {
	f, err := dir.Create(name, scratch.Options{Buffer: 16 << 10, Files: files})
	if err != nil {
		return nil, fmt.Errorf("stratified groups: temporary file: %w", err)
	}
	return &spillFile{f: f}, nil
}

// writeGroup appends a group: its key (8 bytes, little-endian), the number
// of its classes, then each class and its rows (unsigned varints).
func (s *spillFile) writeGroup(key uint64, cls []uint32, cnt []int64) error {
	var b [8 + binary.MaxVarintLen64]byte
	binary.LittleEndian.PutUint64(b[:8], key)
	n := binary.PutUvarint(b[8:], uint64(len(cls)))
	if _, err := s.f.Write(b[:8+n]); err != nil {
		return fmt.Errorf("stratified groups: temporary file: %w", err)
	}
	for t, c := range cls {
		n := binary.PutUvarint(b[:], uint64(c))
		n += binary.PutUvarint(b[n:], uint64(cnt[t]))
		if _, err := s.f.Write(b[:n]); err != nil {
			return fmt.Errorf("stratified groups: temporary file: %w", err)
		}
	}
	return nil
}

// writePair appends a row's group key and class (12 bytes).
func (s *spillFile) writePair(key uint64, class uint32) error {
	var b [12]byte
	binary.LittleEndian.PutUint64(b[:8], key)
	binary.LittleEndian.PutUint32(b[8:], class)
	if _, err := s.f.Write(b[:]); err != nil {
		return fmt.Errorf("stratified groups: temporary file: %w", err)
	}
	return nil
}

// eachPair reads back the pairs written, in order.
func (s *spillFile) eachPair(ctx context.Context, fn func(key uint64, class uint32) error) error {
	r, err := s.reader()
	if err != nil {
		return err
	}
	var b [12]byte
	for k := 0; ; k++ {
		if k%(1<<16) == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if _, err := io.ReadFull(r, b[:]); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("stratified groups: temporary file: %w", err)
		}
		if err := fn(binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint32(b[8:])); err != nil {
			return err
		}
	}
}

// writeAssign appends a group's key and split.
func (s *spillFile) writeAssign(key uint64, split uint8) error {
	var b [9]byte
	binary.LittleEndian.PutUint64(b[:8], key)
	b[8] = split
	if _, err := s.f.Write(b[:]); err != nil {
		return fmt.Errorf("stratified groups: temporary file: %w", err)
	}
	return nil
}

// reader flushes what was written and returns a reader from the start.
func (s *spillFile) reader() (*bufio.Reader, error) {
	if err := s.f.Flush(); err != nil {
		return nil, fmt.Errorf("stratified groups: temporary file: %w", err)
	}
	return scratch.NewReader(s.f, 64<<10), nil
}

// eachGroup reads back the groups written, in order; classes are checked
// against m, the number of classes. The slices are reused between calls.
func (s *spillFile) eachGroup(m int, fn func(key uint64, cls []uint32, cnt []int64) error) error {
	r, err := s.reader()
	if err != nil {
		return err
	}
	var cls []uint32
	var cnt []int64
	var kb [8]byte
	bad := errors.New("stratified groups: temporary file damaged")
	for {
		if _, err := io.ReadFull(r, kb[:]); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("stratified groups: temporary file: %w", err)
		}
		n, err := binary.ReadUvarint(r)
		if err != nil || n == 0 || n > uint64(m) {
			return bad
		}
		cls, cnt = cls[:0], cnt[:0]
		for range n {
			c, err1 := binary.ReadUvarint(r)
			x, err2 := binary.ReadUvarint(r)
			if err1 != nil || err2 != nil || c >= uint64(m) || x == 0 || x > 1<<62 {
				return bad
			}
			cls, cnt = append(cls, uint32(c)), append(cnt, int64(x))
		}
		if err := fn(binary.LittleEndian.Uint64(kb[:]), cls, cnt); err != nil {
			return err
		}
	}
}

// eachAssign reads back the groups' splits, in order.
func (s *spillFile) eachAssign(fn func(sgAssign)) error {
	r, err := s.reader()
	if err != nil {
		return err
	}
	var b [9]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("stratified groups: temporary file: %w", err)
		}
		fn(sgAssign{key: binary.LittleEndian.Uint64(b[:8]), split: b[8]})
	}
}

// close removes the file.
func (s *spillFile) close() { s.f.Close() }
