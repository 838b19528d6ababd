package extsort

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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

// file is one output's key range on disk: a file of encoded rows and a
// file of (key, index) pairs, 16 bytes each, in the same order.
type file struct {
	path   string
	f      *os.File
	bw     *bufio.Writer
	keys   *os.File
	kw     *bufio.Writer
	rows   int64
	closed bool
}

// Files are the spill files of a sort of outputs outputs in ranges key
// ranges, in a directory the caller owns.
type Files struct {
	dir   string
	files [][]*file // [output][range]
}

// NewFiles returns the spill files of outputs outputs in ranges key
// ranges, in dir; none is created before its first piece.
func NewFiles(dir string, outputs, ranges int) *Files {
	files := make([][]*file, outputs)
	for s := range files {
		files[s] = make([]*file, ranges)
	}
	return &Files{dir: dir, files: files}
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
	if _, err := f.bw.Write(piece.Data); err != nil {
		return fmt.Errorf("spill to %s: %w", f.path, err)
	}
	var b [16]byte
	for j, key := range piece.Keys {
		binary.LittleEndian.PutUint64(b[:8], key)
		binary.LittleEndian.PutUint64(b[8:], uint64(piece.Index[j]))
		if _, err := f.kw.Write(b[:]); err != nil {
			return fmt.Errorf("spill to %s: %w", f.path, err)
		}
	}
	f.rows += int64(len(piece.Keys))
	return nil
}

func (fs *Files) base(s, p int) string {
	return filepath.Join(fs.dir, fmt.Sprintf("split%03d-part%03d", s, p))
}

func (fs *Files) create(s, p int) (*file, error) {
	base := fs.base(s, p)
	f, err := os.OpenFile(base+".rows", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spill: %w", err)
	}
	keys, err := os.OpenFile(base+".keys", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("spill: %w", err)
	}
	// Small buffers: a sort may keep hundreds of spill files open.
	sf := &file{path: base + ".rows", f: f, bw: bufio.NewWriterSize(f, bufferSize), keys: keys}
	sf.kw = bufio.NewWriterSize(keys, bufferSize)
	return sf, nil
}

// Finish completes every spill file.
func (fs *Files) Finish() error {
	for _, files := range fs.files {
		for _, f := range files {
			if f == nil || f.closed {
				continue
			}
			f.closed = true
			err := errors.Join(f.bw.Flush(), f.kw.Flush(), f.f.Close(), f.keys.Close())
			if err != nil {
				return fmt.Errorf("spill to %s: %w", f.path, err)
			}
			f.bw, f.kw = nil, nil // let the buffers go before the ranges are loaded
		}
	}
	return nil
}

// Close closes whatever is still open, after a failure.
func (fs *Files) Close() {
	for _, files := range fs.files {
		for _, f := range files {
			if f != nil && !f.closed {
				f.closed = true
				f.f.Close()
				f.keys.Close()
			}
		}
	}
}

// Run is a key range read back: its rows' encoding, and the rows' keys and
// global indices in the same order.
type Run struct {
	Path  string // of the rows' file, for messages
	Data  []byte
	Rows  int64 // as many as were added
	Keys  []uint64
	Index []int64
}

// Load reads key range p of output s back (after Finish) and removes its
// files. An empty range is a Run of no rows and nil Data.
func (fs *Files) Load(s, p int) (Run, error) {
	f := fs.files[s][p]
	if f == nil {
		return Run{}, nil
	}
	data, err := os.ReadFile(f.path)
	if err != nil {
		return Run{}, fmt.Errorf("read back spill: %w", err)
	}
	kb, err := os.ReadFile(fs.base(s, p) + ".keys")
	if err != nil {
		return Run{}, fmt.Errorf("read back spill: %w", err)
	}
	if int64(len(kb)) != 16*f.rows {
		return Run{}, fmt.Errorf("read back spill %s: %d keys, wrote %d rows", f.path, len(kb)/16, f.rows)
	}
	r := Run{Path: f.path, Data: data, Rows: f.rows, Keys: make([]uint64, f.rows), Index: make([]int64, f.rows)}
	for j := range r.Keys {
		r.Keys[j] = binary.LittleEndian.Uint64(kb[16*j:])
		r.Index[j] = int64(binary.LittleEndian.Uint64(kb[16*j+8:]))
	}
	_ = os.Remove(f.path)
	_ = os.Remove(fs.base(s, p) + ".keys")
	fs.files[s][p] = nil
	return r, nil
}
