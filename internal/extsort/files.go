package extsort

import (
	"encoding/binary"
	"fmt"
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
	// Buffer, on one of the pieces cut from a caller's buffer, is that
	// buffer, for the caller to reuse once every piece of it is added:
	// Add keeps nothing of a piece.
	Buffer []byte
}

// Bytes is the memory a piece holds.
func (p *Piece) Bytes() int64 { return int64(cap(p.Data)) + 16*int64(cap(p.Keys)) }

// bufferSize is the write buffer of each spill file.
const bufferSize = 32 << 10

// file is one output's key range: its pieces in the order added, each as
//
//	uvarint  the size of its keys
//	uvarint  the size of its rows' encoding
//	keys     its rows' keys and global indices, in the rows' order
//	rows     its rows' encoding (Piece.Data)
//
// Each row's entry among the keys is its key, 8 bytes little-endian, then
// its index less the previous row's of the range (0 for the first) as a
// zig-zag varint: pieces come in unit order, so the indices of a range
// increase by about the number of ranges from row to row, a byte or two
// where the index took eight (a tenth less to write and read back than
// 16-byte pairs on a 7-column table), and any order of indices is still
// kept. Keys and rows share the range's bytes.
//
// In a local directory every range is in one file, in blocks (see
// blocks.go); elsewhere (an object store) each range has a file of its
// own, f.
type file struct {
	f        scratch.File
	blocks   []block // in Files.shared
	pending  []byte  // appended, not yet written as a block
	size     int64   // bytes appended, in blocks and pending
	n        int64
	last     int64 // the index of the last row added
	finished bool
}

// Files are the spill files of a sort of outputs outputs in ranges key
// ranges, in a temporary directory the caller owns. Its methods are for
// one goroutine at a time.
type Files struct {
	dir   scratch.Dir
	files [][]*file // [output][range]
	open  int       // files that may be written at once
	buf   []byte    // a piece's header and keys being encoded
	// blocks says the ranges are blocks of shared, end bytes long,
	// created with the first piece (blocks.go).
	blocks bool
	shared scratch.File
	end    int64
}

// NewFiles returns the spill files of outputs outputs in ranges key
// ranges, in dir; none is created before its first piece.
func NewFiles(dir scratch.Dir, outputs, ranges int) *Files {
	files := make([][]*file, outputs)
	for s := range files {
		files[s] = make([]*file, ranges)
	}
	_, local := dir.(*scratch.LocalDir)
	return &Files{dir: dir, files: files, open: outputs * ranges, blocks: local}
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
	// One write of the piece's header and keys, not one of 16 bytes a
	// row; the keys are encoded after room for the header.
	const room = 2 * binary.MaxVarintLen64
	b := slices.Grow(fs.buf[:0], room+18*len(piece.Keys))[:room]
	last := f.last
	for j, key := range piece.Keys {
		b = binary.LittleEndian.AppendUint64(b, key)
		b = appendStep(b, piece.Index[j]-last)
		last = piece.Index[j]
	}
	fs.buf = b
	var head [room]byte
	h := binary.AppendUvarint(head[:0], uint64(len(b)-room))
	h = binary.AppendUvarint(h, uint64(len(piece.Data)))
	b = b[room-len(h):]
	copy(b, h)
	if err := fs.write(f, b); err != nil {
		return fmt.Errorf("spill to %s: %w", fs.name(f), err)
	}
	if err := fs.write(f, piece.Data); err != nil {
		return fmt.Errorf("spill to %s: %w", fs.name(f), err)
	}
	f.last = last
	f.n += int64(len(piece.Keys))
	return nil
}

func (fs *Files) create(s, p int) (*file, error) {
	if fs.blocks {
		return &file{}, nil
	}
	// Small buffers: a sort may keep hundreds of spill files open.
	o := scratch.Options{Buffer: bufferSize, Files: fs.open}
	f, err := fs.dir.Create(fmt.Sprintf("split%03d-part%03d", s, p), o)
	if err != nil {
		return nil, fmt.Errorf("spill: %w", err)
	}
	return &file{f: f}, nil
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
			if err := fs.flush(f); err != nil {
				return fmt.Errorf("spill to %s: %w", fs.name(f), err)
			}
		}
	}
	return nil
}

// Close removes whatever files are left: the shared file of the ranges
// in blocks, and the ranges' own files after a failure or a sort whose
// ranges were not all loaded. It returns the first error of their
// removal; a second call does nothing.
func (fs *Files) Close() error {
	var err error
	keep := func(cerr error) {
		if cerr != nil && err == nil {
			err = fmt.Errorf("remove spill: %w", cerr)
		}
	}
	for _, files := range fs.files {
		for i, f := range files {
			if f != nil && f.f != nil {
				keep(f.f.Close())
			}
			files[i] = nil
		}
	}
	if fs.shared != nil {
		keep(fs.shared.Close())
		fs.shared = nil
	}
	return err
}

// Run is a key range read back: its pieces' rows encodings, in the order
// added, and the rows' places in canonical order, unsorted: Entries[j] is
// the j-th row added, its At j, ready for [Sort].
type Run struct {
	Path    string   // of the range's file, for messages
	Pieces  [][]byte // Piece.Data of each piece added, in one buffer
	Bytes   int64    // the size of the buffer the pieces are in
	Rows    int64    // as many as were added
	Entries []Entry
	// Buffer is the buffer the pieces are in, for the caller to reuse
	// (LoadInto) once it is done with every piece.
	Buffer []byte
}

// Load reads key range p of output s back (after Finish) and removes its
// file (a range in blocks of the shared file is dropped; the file goes
// with Close). An empty range is a Run of no rows and no Pieces. The Run
// is the caller's: nothing of it is reused by the next Load.
func (fs *Files) Load(s, p int) (Run, error) { return fs.LoadInto(s, p, Run{}) }

// LoadInto is Load reusing what of old, a Run the caller is done with,
// has room: the range is read into old.Buffer (a range in blocks; a file
// of its own is read into a new buffer) and its entries made in
// old.Entries, sparing the zeroing and first-touch page faults of new
// ones per range. They may hold anything: every byte and entry the Run
// takes of them is written. Either may be nil, and they may come from
// different Runs.
func (fs *Files) LoadInto(s, p int, old Run) (Run, error) {
	f := fs.files[s][p]
	if f == nil {
		return Run{}, nil
	}
	name := fs.name(f)
	fs.files[s][p] = nil
	if f.f != nil {
		defer f.f.Close()
	}
	// Each row's entry takes 9 to 18 bytes.
	if size := fs.size(f); size < 9*f.n {
		return Run{}, fmt.Errorf("read back spill %s: %d bytes for %d rows", name, size, f.n)
	}
	data, err := fs.read(f, old.Buffer)
	if err != nil {
		return Run{}, fmt.Errorf("read back spill %s: %w", name, err)
	}
	entries := old.Entries[:0]
	if int64(cap(entries)) < f.n {
		entries = make([]Entry, f.n, f.n+f.n/16)
	}
	r := Run{Path: name, Bytes: int64(len(data)), Rows: f.n, Entries: entries[:f.n], Buffer: data}
	var last int64
	j := 0
	for len(data) > 0 {
		kn, k1 := binary.Uvarint(data)
		dn, k2 := 0, 0
		if k1 > 0 {
			var d uint64
			d, k2 = binary.Uvarint(data[k1:])
			dn = int(min(d, uint64(len(data))))
		}
		if k1 <= 0 || k2 <= 0 || kn > uint64(len(data)-k1-k2) || dn > len(data)-k1-k2-int(kn) {
			return Run{}, fmt.Errorf("read back spill %s: bad piece after row %d", name, j)
		}
		kb := data[k1+k2 : k1+k2+int(kn)]
		data = data[k1+k2+int(kn):]
		r.Pieces = append(r.Pieces, data[:dn:dn])
		data = data[dn:]
		for len(kb) > 0 {
			if len(kb) < 9 || j == len(r.Entries) {
				return Run{}, fmt.Errorf("read back spill %s: keys end inside a row, or more than %d rows", name, f.n)
			}
			d, k := step(kb[8:])
			if k <= 0 {
				return Run{}, fmt.Errorf("read back spill %s: bad index at row %d", name, j)
			}
			last += d
			r.Entries[j] = Entry{Key: binary.LittleEndian.Uint64(kb), Index: last, At: j}
			kb = kb[8+k:]
			j++
		}
	}
	if j != len(r.Entries) {
		return Run{}, fmt.Errorf("read back spill %s: keys of %d rows, wrote %d", name, j, f.n)
	}
	return r, nil
}

// appendStep appends d as binary.AppendVarint does, the one or two bytes
// of the usual steps between a range's indices (about the number of
// ranges) written at once: the loop of AppendVarint, and of Varint in
// step, took 1.5% of a mixed shuffle's CPU.
func appendStep(b []byte, d int64) []byte {
	u := uint64(d<<1) ^ uint64(d>>63) // zig-zag
	switch {
	case u < 1<<7:
		return append(b, byte(u))
	case u < 1<<14:
		return append(b, byte(u)|0x80, byte(u>>7))
	}
	return binary.AppendUvarint(b, u)
}

// step reads a step appendStep wrote at the start of b, as binary.Varint
// does: the step and its length, or a length of 0 or less when b holds
// none.
func step(b []byte) (int64, int) {
	var u uint64
	var k int
	switch {
	case len(b) > 0 && b[0] < 0x80:
		u, k = uint64(b[0]), 1
	case len(b) > 1 && b[1] < 0x80:
		u, k = uint64(b[0]&0x7f)|uint64(b[1])<<7, 2
	default:
		u, k = binary.Uvarint(b)
	}
	return int64(u>>1) ^ -int64(u&1), k
}
