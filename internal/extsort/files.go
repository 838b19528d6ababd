package extsort

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/splitdata/splitdata/internal/scratch"
)

// Piece is the rows of one output and one key range from one unit of
// input: their encoding (AppendRow, or the caller's), and their keys and
// global row indices in the same order.
type Piece struct {
	Data  []byte
	Keys  []uint64
	Index []int64
}

// Bytes is the memory a piece holds.
func (p *Piece) Bytes() int64 { return int64(cap(p.Data)) + 16*int64(cap(p.Keys)) }

// bufferSize is the write buffer of each spill file and of its keys.
const bufferSize = 32 << 10

// file is one output's key range in temporary files: a file of encoded
// rows and a file of their keys and global indices, in the same order.
// Each row's entry in the keys file is its key, 8 bytes little-endian,
// then its index less the previous row's (0 for the first) as a zig-zag
// varint: pieces come in unit order, so the indices of a range increase
// by about the number of ranges from row to row, a byte or two where the
// index took eight (a tenth less to write and read back than 16-byte
// pairs on a 7-column table), and any order of indices is still kept.
type file struct {
	rows, keys scratch.File
	n          int64
	last       int64 // the index of the last row added
	finished   bool
}

// Files are the spill files of a sort of outputs outputs in ranges key
// ranges, in a temporary directory the caller owns. Its methods are for
// one goroutine at a time.
type Files struct {
	dir   scratch.Dir
	files [][]*file // [output][range]
	open  int       // files that may be written at once
	buf   []byte    // a piece's keys being encoded, or a range's read back
}

// NewFiles returns the spill files of outputs outputs in ranges key
// ranges, in dir; none is created before its first piece.
func NewFiles(dir scratch.Dir, outputs, ranges int) *Files {
	files := make([][]*file, outputs)
	for s := range files {
		files[s] = make([]*file, ranges)
	}
	return &Files{dir: dir, files: files, open: 2 * outputs * ranges}
}

// Add appends a piece to the file of output s, key range p.
func (fs *Files) Add(s, p int, piece *Piece) error {
	f := fs.files[s][p]
	if f == nil {
		var err error
		if f, err = fs.create(s, p); err != nil {
			return err
		}
		fs.files[s][p] = f
	}
	if _, err := f.rows.Write(piece.Data); err != nil {
		return fmt.Errorf("spill to %s: %w", f.rows.Name(), err)
	}
	// One write of the piece's keys, not one of 16 bytes a row.
	b := fs.buf[:0]
	last := f.last
	for j, key := range piece.Keys {
		b = binary.LittleEndian.AppendUint64(b, key)
		b = binary.AppendVarint(b, piece.Index[j]-last)
		last = piece.Index[j]
	}
	fs.buf = b
	if _, err := f.keys.Write(b); err != nil {
		return fmt.Errorf("spill to %s: %w", f.keys.Name(), err)
	}
	f.last = last
	f.n += int64(len(piece.Keys))
	return nil
}

func (fs *Files) create(s, p int) (*file, error) {
	// Small buffers: a sort may keep hundreds of spill files open.
	o := scratch.Options{Buffer: bufferSize, Files: fs.open}
	base := fmt.Sprintf("split%03d-part%03d", s, p)
	rows, err := fs.dir.Create(base+".rows", o)
	if err != nil {
		return nil, fmt.Errorf("spill: %w", err)
	}
	keys, err := fs.dir.Create(base+".keys", o)
	if err != nil {
		rows.Close()
		return nil, fmt.Errorf("spill: %w", err)
	}
	return &file{rows: rows, keys: keys}, nil
}

// Finish completes every spill file.
func (fs *Files) Finish() error {
	for _, files := range fs.files {
		for _, f := range files {
			if f == nil || f.finished {
				continue
			}
			f.finished = true
			// Flush lets the buffers go before the ranges are loaded.
			if err := errors.Join(f.rows.Flush(), f.keys.Flush()); err != nil {
				return fmt.Errorf("spill to %s: %w", f.rows.Name(), err)
			}
		}
	}
	return nil
}

// Close removes whatever files are left, after a failure or a sort whose
// ranges were not all loaded.
func (fs *Files) Close() {
	for _, files := range fs.files {
		for i, f := range files {
			if f != nil {
				f.rows.Close()
				f.keys.Close()
				files[i] = nil
			}
		}
	}
}

// Run is a key range read back: its rows' encoding, and the rows' places
// in canonical order, unsorted: Entries[j] is the j-th row added, its At
// j, ready for [Sort].
type Run struct {
	Path    string // of the rows' file, for messages
	Data    []byte
	Rows    int64 // as many as were added
	Entries []Entry
}

// Load reads key range p of output s back (after Finish) and removes its
// files. An empty range is a Run of no rows and nil Data. The Run is the
// caller's: nothing of it is reused by the next Load.
func (fs *Files) Load(s, p int) (Run, error) {
	f := fs.files[s][p]
	if f == nil {
		return Run{}, nil
	}
	fs.files[s][p] = nil
	defer func() {
		f.rows.Close()
		f.keys.Close()
	}()
	data, err := scratch.ReadAll(f.rows)
	if err != nil {
		return Run{}, fmt.Errorf("read back spill %s: %w", f.rows.Name(), err)
	}
	// Each row's entry takes 9 to 18 bytes; they are read into a buffer
	// kept from range to range, since the entries are made from them.
	size := f.keys.Size()
	if size < 9*f.n || size > 18*f.n {
		return Run{}, fmt.Errorf("read back spill %s: %d bytes of keys for %d rows", f.keys.Name(), size, f.n)
	}
	kb := slices.Grow(fs.buf[:0], int(size))[:size]
	fs.buf = kb
	if n, err := f.keys.ReadAt(kb, 0); err != nil && !(errors.Is(err, io.EOF) && n == len(kb)) {
		return Run{}, fmt.Errorf("read back spill %s: %w", f.keys.Name(), err)
	}
	r := Run{Path: f.rows.Name(), Data: data, Rows: f.n, Entries: make([]Entry, f.n)}
	var last int64
	for j := range r.Entries {
		if len(kb) < 9 {
			return Run{}, fmt.Errorf("read back spill %s: keys end at row %d of %d", f.keys.Name(), j, f.n)
		}
		d, k := binary.Varint(kb[8:])
		if k <= 0 {
			return Run{}, fmt.Errorf("read back spill %s: bad index at row %d", f.keys.Name(), j)
		}
		last += d
		r.Entries[j] = Entry{Key: binary.LittleEndian.Uint64(kb), Index: last, At: j}
		kb = kb[8+k:]
	}
	if len(kb) != 0 {
		return Run{}, fmt.Errorf("read back spill %s: %d bytes of keys after %d rows", f.keys.Name(), len(kb), f.n)
	}
	return r, nil
}
