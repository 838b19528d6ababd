package pipeline

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"os"
	"path/filepath"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// The out-of-core shuffle. When a split's rows do not fit in the shuffle's
// memory, the rows are spilled to P temporary files per split by key range:
// partition p holds the keys in [p*2^64/P, (p+1)*2^64/P), so reading the
// partitions in order and sorting each by (key, global row index) gives the
// canonical order. Keys are uniform, so partitions are about equal; P is
// chosen from the inputs' footers so that one partition fits in half the
// memory. The output does not depend on P: only the order of rows within a
// split is produced, and it is the canonical order whatever P is.

// spillPrefix names a shuffle's spill directory in --temp-dir (beside its
// lock file, spillPrefix+N+".lock": see [lockedDir]).
const spillPrefix = "splitdata-spill-"

// newSpillDir makes the directory a spilling shuffle writes its files to:
// in tempDir when given, held by a lock so that the next run there removes
// it should this one be killed; else in the output's staging directory,
// which the next run on the output removes. remove deletes it.
func newSpillDir(tempDir string, stage *staging) (dir string, remove func(), err error) {
	if tempDir == "" {
		dir = stage.path(".spill")
		if err := os.Mkdir(dir, 0o700); err != nil {
			return "", nil, fmt.Errorf("shuffle: temporary directory: %w", err)
		}
		return dir, func() { _ = os.RemoveAll(dir) }, nil
	}
	d, err := newLockedDir(tempDir, spillPrefix)
	if err != nil {
		return "", nil, fmt.Errorf("shuffle: temporary directory in %s: %w", tempDir, err)
	}
	return d.path, func() { _ = d.remove() }, nil
}

// spillBuffer is the write buffer of each spill file and of its keys.
const spillBuffer = 32 << 10

// maxSpillFiles bounds the files a spilling shuffle keeps open at once (two
// per split and partition), well below the usual limit of 1024 descriptors.
const maxSpillFiles = 512

// partitionOf returns the partition of key among p: floor(key*p / 2^64),
// which is monotone in key.
func partitionOf(key uint64, p int) int {
	hi, _ := bits.Mul64(key, uint64(p))
	return int(hi)
}

// shufflePartitions chooses P for a shuffle of splits splits whose rows are
// estimated at bytes decoded, under memory: 1 (in memory) when they fit in
// half of it and are no more than inMemoryMax, else enough key ranges that
// one fits in half of memory, and at least enough that one holds about
// partitionTarget bytes, as far as the file limit allows. It fails, before
// any work, when a partition would not fit in half of memory within
// maxSpillFiles files.
func shufflePartitions(bytes, memory int64, splits int) (int, error) {
	if memory <= 0 || bytes <= min(memory/2, inMemoryMax) {
		return 1, nil
	}
	p := (2*bytes + memory - 1) / memory
	limit := int64(max(1, maxSpillFiles/(2*splits)))
	if p > limit {
		// The shuffle has half of --memory (JobOptions.ShuffleMemory).
		return 0, fmt.Errorf("%w: shuffling about %d MiB of decoded rows in %d key ranges needs --memory of at least %d MiB",
			ErrTooLarge, bytes>>20, limit, (4*bytes/limit)>>20+1)
	}
	p = min(max(p, (bytes+partitionTarget-1)/partitionTarget), limit)
	return int(p), nil
}

// inMemoryMax is the most decoded rows a shuffle orders in memory, however
// large --memory is: beyond it, ordering partitions of partitionTarget
// bytes one at a time is faster, and lighter, than ordering everything at
// once, even though they go through temporary files (which the page cache
// usually holds). 10M gen rows (~1.9 GB decoded): 7.13 s and 2.3 GB
// ordered in memory under --memory 4GiB, 4.49 s and 314 MB spilled.
const inMemoryMax = 4 * partitionTarget

// partitionTarget is the size of a spilled partition the shuffle aims for,
// below half of --memory: a partition is ordered by gathering its rows at
// random, which runs faster when they fit in the processor's caches. 10M
// gen rows at --memory 512MiB (~1.8 GB decoded): 7 partitions of ~250 MB
// took 6.25 s and 768 MB RSS, partitions of 128, 32, 16 and 8 MiB 5.66,
// 5.40, 5.20 and 5.66 s, with 655, 298, 252 and 223 MB RSS.
const partitionTarget = 16 << 20

// spillPiece is the rows of one unit, one split and one partition, in the
// spill codec (spill_codec.go), with their keys and global row indices in
// the same order.
type spillPiece struct {
	data  []byte
	keys  []uint64
	index []int64
}

// spillFile is one split's partition on disk: a file of rows in the spill
// codec and a file of (key, index) pairs, 16 bytes each, in the same order.
type spillFile struct {
	path   string
	f      *os.File
	bw     *bufio.Writer
	keys   *os.File
	kw     *bufio.Writer
	rows   int64
	closed bool
}

// spiller owns the spill files of a shuffle.
type spiller struct {
	dir   string
	files [][]*spillFile // [split][partition]
}

func newSpiller(dir string, splits, partitions int) *spiller {
	files := make([][]*spillFile, splits)
	for s := range files {
		files[s] = make([]*spillFile, partitions)
	}
	return &spiller{dir: dir, files: files}
}

// add appends a piece to the file of split s, partition p.
func (sp *spiller) add(s, p int, piece *spillPiece) error {
	f := sp.files[s][p]
	if f == nil {
		var err error
		if f, err = sp.create(s, p); err != nil {
			return err
		}
		sp.files[s][p] = f
	}
	if _, err := f.bw.Write(piece.data); err != nil {
		return fmt.Errorf("spill to %s: %w", f.path, err)
	}
	var b [16]byte
	for j, key := range piece.keys {
		binary.LittleEndian.PutUint64(b[:8], key)
		binary.LittleEndian.PutUint64(b[8:], uint64(piece.index[j]))
		if _, err := f.kw.Write(b[:]); err != nil {
			return fmt.Errorf("spill to %s: %w", f.path, err)
		}
	}
	f.rows += int64(len(piece.keys))
	return nil
}

func (sp *spiller) create(s, p int) (*spillFile, error) {
	base := filepath.Join(sp.dir, fmt.Sprintf("split%03d-part%03d", s, p))
	f, err := os.OpenFile(base+".rows", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spill: %w", err)
	}
	keys, err := os.OpenFile(base+".keys", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("spill: %w", err)
	}
	// Small buffers: a shuffle may keep hundreds of spill files open.
	sf := &spillFile{path: base + ".rows", f: f, bw: bufio.NewWriterSize(f, spillBuffer), keys: keys}
	sf.kw = bufio.NewWriterSize(keys, spillBuffer)
	return sf, nil
}

// finish completes every spill file.
func (sp *spiller) finish() error {
	for _, files := range sp.files {
		for _, f := range files {
			if f == nil || f.closed {
				continue
			}
			f.closed = true
			err := errors.Join(f.bw.Flush(), f.kw.Flush(), f.f.Close(), f.keys.Close())
			if err != nil {
				return fmt.Errorf("spill to %s: %w", f.path, err)
			}
			f.bw, f.kw = nil, nil // let the buffers go before the partitions are loaded
		}
	}
	return nil
}

// closeAll closes whatever is still open, after a failure.
func (sp *spiller) closeAll() {
	for _, files := range sp.files {
		for _, f := range files {
			if f != nil && !f.closed {
				f.closed = true
				f.f.Close()
				f.keys.Close()
			}
		}
	}
}

// load reads partition p of split s back into memory, in canonical order,
// and removes its files. It also returns the size of the rows' content (not
// counting allocation slack). It returns no rows for an empty partition.
func (sp *spiller) load(ctx context.Context, s, p int) ([]parquet.Row, int64, error) {
	f := sp.files[s][p]
	if f == nil {
		return nil, 0, nil
	}
	data, err := os.ReadFile(f.path)
	if err != nil {
		return nil, 0, fmt.Errorf("read back spill: %w", err)
	}
	h := shuffled{rows: make([]parquet.Row, 0, f.rows)}
	bytes := int64(len(data)) // the rows' byte arrays point into it
	dec := spillDecoder{data: data}
	for dec.more() {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		row, err := dec.row()
		if err != nil {
			return nil, 0, fmt.Errorf("read back spill %s: %w", f.path, err)
		}
		h.rows = append(h.rows, row)
		bytes += int64(len(row))*valueBytes + rowHeaderBytes
	}
	if int64(len(h.rows)) != f.rows {
		return nil, 0, fmt.Errorf("read back spill %s: %d rows, wrote %d", f.path, len(h.rows), f.rows)
	}
	if err := sp.loadKeys(s, p, &h); err != nil {
		return nil, 0, err
	}
	return h.canonicalOrder(), bytes, nil
}

// loadBatches is load for the columnar path: it reads partition p of split
// s back as the batches it was spilled in, of layout, and returns them with
// their rows' canonical order and the memory they take.
func (sp *spiller) loadBatches(ctx context.Context, s, p int, layout columnar.Layout) ([]*columnar.Batch, []columnar.Ref, int64, error) {
	f := sp.files[s][p]
	if f == nil {
		return nil, nil, 0, nil
	}
	data, err := os.ReadFile(f.path)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("read back spill: %w", err)
	}
	bytes := int64(len(data)) + f.rows*batchRowBytes // levels and values point into data
	var h shuffled
	for rest := data; len(rest) > 0; {
		if err := ctx.Err(); err != nil {
			return nil, nil, 0, err
		}
		var b *columnar.Batch
		if b, rest, err = columnar.Decode(rest, layout); err != nil {
			return nil, nil, 0, fmt.Errorf("read back spill %s: %w", f.path, err)
		}
		h.holdBatch(b, nil, nil)
		for c := range b.Cols {
			bytes += 4 * int64(cap(b.Cols[c].Offsets)) // copied, unlike the rest
		}
	}
	if int64(len(h.refs)) != f.rows {
		return nil, nil, 0, fmt.Errorf("read back spill %s: %d rows, wrote %d", f.path, len(h.refs), f.rows)
	}
	if err := sp.loadKeys(s, p, &h); err != nil {
		return nil, nil, 0, err
	}
	return h.batches, h.canonicalRefs(), bytes, nil
}

// loadKeys reads the keys and indices of partition p of split s into h,
// and removes the partition's files.
func (sp *spiller) loadKeys(s, p int, h *shuffled) error {
	f := sp.files[s][p]
	kb, err := os.ReadFile(filepath.Join(sp.dir, fmt.Sprintf("split%03d-part%03d.keys", s, p)))
	if err != nil {
		return fmt.Errorf("read back spill: %w", err)
	}
	if int64(len(kb)) != 16*f.rows {
		return fmt.Errorf("read back spill %s: %d keys, wrote %d rows", f.path, len(kb)/16, f.rows)
	}
	h.keys = make([]uint64, f.rows)
	h.index = make([]int64, f.rows)
	for j := range h.keys {
		h.keys[j] = binary.LittleEndian.Uint64(kb[16*j:])
		h.index[j] = int64(binary.LittleEndian.Uint64(kb[16*j+8:]))
	}
	_ = os.Remove(f.path)
	_ = os.Remove(filepath.Join(sp.dir, fmt.Sprintf("split%03d-part%03d.keys", s, p)))
	sp.files[s][p] = nil
	return nil
}
