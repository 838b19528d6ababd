package pipeline

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/splitdata/splitdata/internal/scratch"
)

// The out-of-core count of content groups. Each row's group bytes (the
// canonical encoding of its values) go, with their group key, into a
// piece: a map that folds equal bytes into one record with a count, so
// that a value repeated a million times costs one record per piece, not a
// million. Full pieces are written to temporary files by the key's top
// bits. Each file is then read back alone, its records sorted by (key,
// bytes), and runs of equal bytes are groups: the groups are told apart
// by their bytes, never by the key alone, so two values whose keys
// collide count as two groups (and as a collision). A file too large for
// the memory is cut again by the key's next bits before it is read.

// ContentStats are the counts of a --group-by-content job, in its
// manifest: how many groups of equal values the rows make, how many of
// those hold more than one row, how many rows they hold, and how many
// groups share their group key with another group (a 64-bit hash
// collision: such groups land in the same split, which keeps them whole
// but no longer independent). Groups are counted by comparing values,
// not hashes.
type ContentStats struct {
	Groups            int64 `json:"groups"`
	DuplicateGroups   int64 `json:"duplicate_groups"`
	RowsWithDuplicate int64 `json:"rows_with_duplicate"`
	KeyCollisions     int64 `json:"key_collisions"`
}

// contentTally is what a count found: the stats and, when rows came from
// several outputs (verify), the groups found in more than one.
type contentTally struct {
	ContentStats
	straddling int64
	example    straddle // the first straddling group seen
}

// straddle is a group found in two outputs.
type straddle struct {
	key  uint64
	a, b int
}

// contentRecord is a group seen in one piece: its key, bytes, the output
// it was seen in and how many rows had it.
type contentRecord struct {
	key   uint64
	count int64
	split int
	b     []byte
}

// recordOverhead is the memory of a record read back beside its bytes.
const recordOverhead = 48

// contentCounter counts content groups through files in dir: 1<<bits key
// ranges at first, each file read back in at most loadLimit bytes.
// Pieces may be added from several goroutines.
type contentCounter struct {
	dir        scratch.Dir
	bits       uint
	loadLimit  int64
	pieceLimit int64

	mu    sync.Mutex
	parts []*contentPart
}

// contentPart is one key range's file.
type contentPart struct {
	f       scratch.File
	bytes   int64
	records int64
}

// contentBuffer is the write buffer of each file: small, as up to 256 are
// open at once.
const contentBuffer = 16 << 10

// maxContentBits bounds the first cut: 256 files.
const maxContentBits = 8

// newContentCounter prepares a count of about estimate bytes of group
// bytes under memory bytes, with workers pieces filled at once, in dir.
func newContentCounter(dir scratch.Dir, estimate, memory int64, workers int) *contentCounter {
	memory = max(memory, 1<<20)
	c := &contentCounter{dir: dir, loadLimit: memory, pieceLimit: max(memory/int64(4*max(workers, 1)), 64<<10)}
	for c.bits < maxContentBits && estimate>>c.bits > memory/2 {
		c.bits++
	}
	c.parts = make([]*contentPart, 1<<c.bits)
	return c
}

// contentPiece folds the records of one reader before they are written.
// It belongs to one goroutine.
type contentPiece struct {
	c     *contentCounter
	index map[string]int
	recs  []contentRecord
	strs  []string // the bytes of recs[i], the map's key
	bytes int64
	split int
	buf   []byte
}

func (c *contentCounter) newPiece() *contentPiece {
	return &contentPiece{c: c, index: map[string]int{}}
}

// add counts one row of group bytes b and key key, seen in output split.
func (p *contentPiece) add(key uint64, split int, b []byte) error {
	if split != p.split && len(p.recs) > 0 {
		if err := p.flush(); err != nil {
			return err
		}
	}
	p.split = split
	if i, ok := p.index[string(b)]; ok {
		p.recs[i].count++
		return nil
	}
	return p.insert(key, b)
}

// keyOf returns the group key of b, one row's group bytes, and counts the
// row in output 0: a value the piece holds takes its record's key, any
// other the key hash gives it (the group hasher's HMAC-SHA-256), so that
// the piece caches the keys of the values it counts.
func (p *contentPiece) keyOf(hash func([]byte) uint64, b []byte) (uint64, error) {
	if p.split != 0 { // rows of another output before: add flushes them
		key := hash(b)
		return key, p.add(key, 0, b)
	}
	if i, ok := p.index[string(b)]; ok {
		p.recs[i].count++
		return p.recs[i].key, nil
	}
	key := hash(b)
	return key, p.insert(key, b)
}

// insert adds a record of one row of group bytes b and key key, which the
// piece does not hold, and writes the piece out once it is full.
func (p *contentPiece) insert(key uint64, b []byte) error {
	s := string(b)
	p.index[s] = len(p.recs)
	p.recs = append(p.recs, contentRecord{key: key, count: 1, split: p.split}) // bytes: strs
	p.strs = append(p.strs, s)
	p.bytes += int64(len(s)) + 2*recordOverhead
	if p.bytes >= p.c.pieceLimit {
		return p.flush()
	}
	return nil
}

// flush writes the piece's records to the files and empties it.
func (p *contentPiece) flush() error {
	if len(p.recs) == 0 {
		return nil
	}
	c := p.c
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, r := range p.recs {
		d := r.key >> (64 - c.bits) // 0 when bits is 0
		part := c.parts[d]
		if part == nil {
			var err error
			if part, err = c.create(len(c.parts)); err != nil {
				return err
			}
			c.parts[d] = part
		}
		p.buf = appendContentRecord(p.buf[:0], r, p.strs[i])
		if _, err := part.f.Write(p.buf); err != nil {
			return fmt.Errorf("content groups: write %s: %w", part.f.Name(), err)
		}
		part.bytes += int64(len(p.buf))
		part.records++
	}
	clear(p.index)
	clear(p.strs)
	p.recs, p.strs = p.recs[:0], p.strs[:0]
	p.bytes = 0
	return nil
}

// create makes a new file, one of files written at once.
func (c *contentCounter) create(files int) (*contentPart, error) {
	f, err := c.dir.Create("content-part", scratch.Options{Buffer: contentBuffer, Files: files})
	if err != nil {
		return nil, fmt.Errorf("content groups: %w", err)
	}
	return &contentPart{f: f}, nil
}

// appendContentRecord appends a record of bytes v as written: the key, 8
// bytes little-endian, then uvarints of the count, the output and the
// length of the bytes, then the bytes. (A piece's bytes are the strings
// of its map, written without a copy to a []byte first.)
func appendContentRecord[S string | []byte](b []byte, r contentRecord, v S) []byte {
	b = binary.LittleEndian.AppendUint64(b, r.key)
	b = binary.AppendUvarint(b, uint64(r.count))
	b = binary.AppendUvarint(b, uint64(r.split))
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// errContentRecord reports a temporary file that does not read back as
// written.
var errContentRecord = errors.New("malformed record")

// readContentRecord reads one record from r; io.EOF at a record boundary.
// The record's bytes are fresh.
func readContentRecord(r *bufio.Reader) (contentRecord, error) {
	var k [8]byte
	if _, err := io.ReadFull(r, k[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = errContentRecord
		}
		return contentRecord{}, err
	}
	rec := contentRecord{key: binary.LittleEndian.Uint64(k[:])}
	var v [3]uint64
	for i := range v {
		x, err := binary.ReadUvarint(r)
		if err != nil {
			return contentRecord{}, errContentRecord
		}
		v[i] = x
	}
	if v[0] == 0 || v[0] > 1<<62 || v[1] > 1<<20 || v[2] > 1<<32 {
		return contentRecord{}, errContentRecord
	}
	rec.count, rec.split = int64(v[0]), int(v[1])
	rec.b = make([]byte, v[2])
	if _, err := io.ReadFull(r, rec.b); err != nil {
		return contentRecord{}, errContentRecord
	}
	return rec, nil
}

// finish completes the files and counts the groups, reading one file at a
// time. The files are removed as they are read.
func (c *contentCounter) finish() (contentTally, error) {
	var t contentTally
	for _, part := range c.parts {
		if part != nil {
			if err := part.f.Flush(); err != nil {
				return t, fmt.Errorf("content groups: write %s: %w", part.f.Name(), err)
			}
		}
	}
	for _, part := range c.parts {
		if part == nil {
			continue
		}
		if err := c.count(part, c.bits, &t); err != nil {
			return t, err
		}
	}
	return t, nil
}

// close removes whatever files are left, after a failure.
func (c *contentCounter) close() {
	for _, part := range c.parts {
		if part != nil {
			part.f.Close()
		}
	}
}

// count adds the groups of part, a file of records whose keys share their
// top shift bits, to t: read whole if it fits in loadLimit, else cut by
// the next 4 bits of the keys and counted one piece at a time.
func (c *contentCounter) count(part *contentPart, shift uint, t *contentTally) error {
	defer part.f.Close()
	r := scratch.NewReader(part.f, contentBuffer)
	if part.bytes+part.records*recordOverhead <= c.loadLimit {
		if testHookContentLoad != nil {
			testHookContentLoad(part.bytes + part.records*recordOverhead)
		}
		recs := make([]contentRecord, 0, part.records)
		for {
			rec, err := readContentRecord(r)
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("content groups: read back %s: %w", part.f.Name(), err)
			}
			recs = append(recs, rec)
		}
		if int64(len(recs)) != part.records {
			return fmt.Errorf("content groups: read back %s: %d records, wrote %d", part.f.Name(), len(recs), part.records)
		}
		tallyContent(recs, t)
		return nil
	}
	if shift >= 64 {
		return fmt.Errorf("%w: --group-by-content: %d MiB of distinct values share one group key, more than the %d MiB of memory for them; raise --memory",
			ErrTooLarge, part.bytes>>20, c.loadLimit>>20)
	}
	const cut = 4
	var subs [1 << cut]*contentPart
	defer func() {
		for _, s := range subs {
			if s != nil {
				s.f.Close()
			}
		}
	}()
	var buf []byte
	for {
		rec, err := readContentRecord(r)
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("content groups: read back %s: %w", part.f.Name(), err)
		}
		d := int(rec.key << shift >> (64 - cut))
		if subs[d] == nil {
			if subs[d], err = c.create(len(subs)); err != nil {
				return err
			}
		}
		buf = appendContentRecord(buf[:0], rec, rec.b)
		if _, err := subs[d].f.Write(buf); err != nil {
			return fmt.Errorf("content groups: write %s: %w", subs[d].f.Name(), err)
		}
		subs[d].bytes += int64(len(buf))
		subs[d].records++
	}
	for _, s := range subs {
		if s != nil {
			if err := s.f.Flush(); err != nil {
				return fmt.Errorf("content groups: write %s: %w", s.f.Name(), err)
			}
		}
	}
	for d, s := range subs {
		if s == nil {
			continue
		}
		subs[d] = nil // count removes it
		if err := c.count(s, shift+cut, t); err != nil {
			return err
		}
	}
	return nil
}

// testHookContentLoad, when set by a test, receives the memory of every
// file read back whole.
var testHookContentLoad func(bytes int64)

// tallyContent sorts recs by (key, bytes, output) and adds their groups
// to t: a run of equal bytes is one group, of as many rows as its counts
// sum to; distinct bytes under one key are collisions; one group's bytes
// in two outputs straddle them.
func tallyContent(recs []contentRecord, t *contentTally) {
	slices.SortFunc(recs, func(a, b contentRecord) int {
		// cmp.Or takes its arguments evaluated: the bytes are compared
		// only under equal keys, rarely, not at every comparison.
		if a.key != b.key {
			return cmp.Compare(a.key, b.key)
		}
		return cmp.Or(bytes.Compare(a.b, b.b), cmp.Compare(a.split, b.split))
	})
	for i := 0; i < len(recs); {
		j := i
		var rows int64
		multi := false
		for j < len(recs) && recs[j].key == recs[i].key && bytes.Equal(recs[j].b, recs[i].b) {
			rows += recs[j].count
			if recs[j].split != recs[i].split && !multi {
				multi = true
				if t.straddling == 0 {
					t.example = straddle{key: recs[i].key, a: recs[i].split, b: recs[j].split}
				}
				t.straddling++
			}
			j++
		}
		t.Groups++
		if rows > 1 {
			t.DuplicateGroups++
			t.RowsWithDuplicate += rows
		}
		if i > 0 && recs[i-1].key == recs[i].key {
			t.KeyCollisions++
		}
		i = j
	}
}
