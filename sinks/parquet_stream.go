package sinks

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// RowGroupStream encodes one row group from rows given a piece at a time:
// each piece is encoded into compressed pages as it comes, so the row
// group costs its encoded size plus one page per column, not its decoded
// rows. The bytes are those [RowGroupEncoder.Encode] (for
// [RowGroupStream.WriteRows]) or [RowGroupEncoder.EncodeBatches] (for
// [RowGroupStream.WriteBatches]) writes for the same rows, however they
// are cut into pieces: parquet-go's writer closes a page only between
// chunks of 64 rows, so the stream hands them over in the same chunks,
// counted from the row group's first row, carrying the rows of a partial
// chunk (cloned) from one piece to the next.
//
// A stream is for one goroutine, and takes either rows or batches, not
// both. After an error every call returns it; a stream that is not
// finished holds its pages until it is dropped or closed. Where the pages
// wait (memory, a pool's blocks, temporary files) is the constructor's
// choice ([RowGroupEncoder.NewStream], [RowGroupEncoder.NewStreamWith]).
type RowGroupStream struct {
	e       *RowGroupEncoder
	w       fileWriter // parquet-go's writer; nil until started, or when own has every column
	buf     *bytes.Buffer
	file    *os.File // the in-memory file's stand-in, when pages are in files
	fileBuf *bufio.Writer
	dir     string // where pages go in temporary files; "": memory
	check   bool   // check rows against the schema (rows only)
	n       int64
	err     error

	// spool, for a stream made by NewStreamWith or NewStreamIn, holds the
	// pages of the columns splitdata's page writer writes, moved there
	// after each piece (drain); long says one of them has a header whose
	// statistics must be trimmed; scratch holds a finished column's
	// dictionary page.
	spool   *pageSpool
	spoolMu sync.Mutex // held by drainColumn: writeOwn's goroutines share the spool
	long    bool
	scratch []byte

	// started is set once the encodings are chosen and the writers open.
	// Batches: own[c] is splitdata's page writer of column c, nil where
	// parquet-go writes it (own is nil when it writes every column); pgo
	// lists the columns of w's ColumnWriters, in order.
	started bool
	own     []*pageWriter
	pgo     []int

	// direct is set for a row group given whole, in one WriteBatches
	// call (EncodeBatches, which holds its parts until Finish): its page
	// writers run at Finish, one column after the other in column order
	// once parquet-go's columns are written, each writing its pages
	// straight into the row group's bytes, with no chunk buffer to copy
	// from. rest are the parts' rows after the sample, which the page
	// writers take after their columns' carried values.
	direct bool
	rest   []columnar.Rows

	// Rows: batch[:k] are rows checked but not yet written, owned.
	batch []parquet.Row
	k     int

	// Batches: carry[c] holds column c's values of the last carryRows
	// rows given, not yet written (fewer than chunkRows once w is set),
	// owned.
	batches   bool
	carry     [][]parquet.Value
	carryRows int
	vals      []parquet.Value

	// With EncodingAuto, until w is set: the rows given so far (the rows
	// path's held, owned; the batches path's in sampleSegs), of which the
	// first sampled, of sampleBytes bytes, are the sample the encodings
	// are chosen from (see sampleCut). sampleSegs are the batches' rows
	// of the sample, in order: a copy of those given by earlier calls
	// (sample), then the current call's, in place; a direct stream's stay
	// in its parts and are written at Finish. sizes and chunk are scratch
	// of the sample's row sizes.
	held        []parquet.Row
	sampled     int
	sampleBytes int64
	sampleDone  bool
	sampleSegs  []columnar.Rows
	sample      *columnar.Batch
	sizes       []int64
	chunk       columnar.Chunk
}

// NewStream returns a stream encoding one row group with e's schema and
// options. With checked, rows are taken as already checked against the
// schema, as [RowGroupEncoder.EncodeChecked] takes them; batches are
// always taken as valid, as [RowGroupEncoder.EncodeBatches] takes them.
func (e *RowGroupEncoder) NewStream(checked bool) *RowGroupStream {
	return &RowGroupStream{e: e, check: !checked}
}

// NewStreamIn is [RowGroupEncoder.NewStreamWith] with no blocks: the
// row group's pages are held in temporary files in dir instead of memory.
func (e *RowGroupEncoder) NewStreamIn(checked bool, dir string) (*RowGroupStream, error) {
	return e.NewStreamWith(StreamOptions{Checked: checked, Dir: dir})
}

// NewStreamWith is [RowGroupEncoder.NewStream] with the row group's pages
// held as opts says until it is written. The pages of the columns
// splitdata's page writer writes (batches only) are moved after each
// piece into opts.Blocks' blocks, as far as its budget goes, then into a
// temporary file in opts.Dir (memory beyond the blocks without Dir); the
// other columns' pages, and every column of rows, are written by
// parquet-go to a temporary file in opts.Dir (memory without it), one
// page per column in memory. A finished row group whose columns are all
// the page writer's keeps its pages there until it is released, and is
// written from them a block at a time; others are read back into one
// buffer of their size. The stream, and the row group it returns, hold
// the temporary files until they are released ([RowGroupStream.Close],
// [EncodedRowGroup.Release]).
func (e *RowGroupEncoder) NewStreamWith(opts StreamOptions) (*RowGroupStream, error) {
	s := &RowGroupStream{e: e, dir: opts.Dir, check: !opts.Checked}
	s.spool = &pageSpool{pool: opts.Blocks, dir: opts.Dir, cols: make([][]spoolSeg, len(e.leaves))}
	return s, nil
}

// open starts parquet-go's writer of the row group with config, writing
// to a temporary file in s.dir when it is set.
func (s *RowGroupStream) open(config *parquet.WriterConfig) error {
	if s.dir == "" {
		s.w, s.buf = s.e.newWriter(config)
		return nil
	}
	f, err := os.CreateTemp(s.dir, "splitdata-rowgroup-*")
	if err != nil {
		s.err = fmt.Errorf("encode row group: %w", err)
		return s.err
	}
	s.file, s.fileBuf = f, bufio.NewWriterSize(f, 1<<20)
	c := *config
	c.ColumnPageBuffers = parquet.NewFileBufferPool(s.dir, "splitdata-pages-*")
	s.w = parquet.NewWriter(s.fileBuf, &c)
	return nil
}

// NumRows returns the number of rows given so far.
func (s *RowGroupStream) NumRows() int64 { return s.n }

// errMixed is returned by a stream given both rows and batches.
var errMixed = errors.New("encode row group: a stream takes rows or batches, not both")

// WriteRows encodes rows, which must be parquet.Row values of the
// encoder's schema (see [RowGroupEncoder.Encode]). The stream does not
// keep rows (it clones those it must hold), so the caller may reuse them.
// A row that does not fit the schema is an error wrapping
// [ErrInvalidRow] with its index in the row group.
func (s *RowGroupStream) WriteRows(rows []parquet.Row) error {
	if s.err != nil {
		return s.err
	}
	if s.batches {
		s.err = errMixed
		return s.err
	}
	if s.batch == nil {
		s.batch = make([]parquet.Row, rowBatch)
	}
	for len(rows) > 0 {
		m := copy(s.batch[s.k:], rows)
		rows = rows[m:]
		if err := s.push(m); err != nil {
			return err
		}
		if len(rows) == 0 && s.k > 0 {
			// Kept across the call: the caller may reuse these rows.
			for i := max(s.k-m, 0); i < s.k; i++ {
				s.batch[i] = s.batch[i].Clone()
			}
		}
	}
	return nil
}

// push takes the m rows just placed at s.batch[s.k:]: checks them and
// writes the batch once it is full.
func (s *RowGroupStream) push(m int) error {
	if s.check {
		for i, row := range s.batch[s.k : s.k+m] {
			if err := s.e.layout.Check(row); err != nil {
				s.err = fmt.Errorf("encode row group: row %d: %w", s.n+int64(i), err)
				return s.err
			}
		}
	}
	s.n += int64(m)
	s.k += m
	if s.k == len(s.batch) {
		return s.flushRows()
	}
	return nil
}

// flushRows writes the rows held, or holds them while the encodings are
// not chosen.
func (s *RowGroupStream) flushRows() error {
	if s.k == 0 {
		return nil
	}
	if !s.started {
		if s.e.auto {
			return s.hold()
		}
		if err := s.start(); err != nil {
			return err
		}
	}
	if _, err := s.w.WriteRows(s.batch[:s.k]); err != nil {
		s.err = fmt.Errorf("encode row group: rows %d to %d: %w", s.n-int64(s.k), s.n-1, err)
		return s.err
	}
	clear(s.batch[:s.k])
	s.k = 0
	return nil
}

// WriteBatches encodes the rows of parts, in order (see
// [RowGroupEncoder.EncodeBatches]). The stream does not keep parts (it
// clones the values it must hold), so their batches may be released or
// reused once it returns.
func (s *RowGroupStream) WriteBatches(parts []columnar.Rows) error {
	if s.err != nil {
		return s.err
	}
	if s.batch != nil {
		s.err = errMixed
		return s.err
	}
	var added int64
	for k, part := range parts {
		for _, b := range part.Batches() {
			if err := s.e.checkBatch(b); err != nil {
				s.err = fmt.Errorf("encode row group: part %d: %w", k, err)
				return s.err
			}
		}
		added += int64(part.NumRows())
	}
	if !s.batches {
		s.batches = true
		s.carry = make([][]parquet.Value, len(s.e.leaves))
		s.vals = make([]parquet.Value, 0, chunkRows)
	}
	if added == 0 {
		return nil
	}
	if !s.started && !s.e.auto {
		if err := s.start(); err != nil {
			return err
		}
	}
	if !s.started {
		rest, err := s.sampleBatches(parts)
		if err != nil || !s.started {
			return err
		}
		if s.spool != nil {
			if err := s.drain(); err != nil { // the sample's pages
				return err
			}
		}
		parts, added = rest, 0
		for _, part := range parts {
			added += int64(part.NumRows())
		}
		if added == 0 {
			return nil
		}
	}
	if s.direct {
		s.rest = parts
	}
	if !s.direct {
		if err := s.writeOwn(parts, added); err != nil {
			return err
		}
	}
	first := s.n - int64(s.carryRows) // the row group row of carry's first row
	for j, cw := range s.columnWriters() {
		c := s.pgo[j]
		vals := append(s.vals[:0], s.carry[c]...)
		have := s.carryRows
		at := first
		k, r := 0, 0
		for left := added; left > 0; {
			part := parts[k]
			take := int(min(int64(chunkRows-have), left, int64(part.NumRows()-r)))
			vals = part.AppendValues(vals, c, r, r+take)
			have += take
			left -= int64(take)
			if r += take; r == part.NumRows() {
				k, r = k+1, 0
			}
			if have == chunkRows {
				if _, err := cw.WriteRowValues(vals); err != nil {
					s.err = fmt.Errorf("encode row group: column %d, rows %d to %d: %w", c, at, at+chunkRows-1, err)
					return s.err
				}
				at += chunkRows
				vals, have = vals[:0], 0
			}
		}
		// The rows of a partial chunk wait for the next piece; their
		// values may point into the parts' batches, so they are cloned.
		s.carry[c] = s.carry[c][:0]
		for _, v := range vals {
			s.carry[c] = append(s.carry[c], v.Clone())
		}
		clear(vals[:cap(vals)]) // drop the references into the batches
		s.vals = vals[:0]
	}
	s.n += added
	s.carryRows = int((int64(s.carryRows) + added) % chunkRows)
	if s.spool != nil {
		return s.drain()
	}
	return nil
}

// flushBatches writes the carried rows, the row group's last chunk.
func (s *RowGroupStream) flushBatches() error {
	if !s.batches || s.carryRows == 0 {
		return nil
	}
	at := s.n - int64(s.carryRows)
	for j, cw := range s.columnWriters() {
		c := s.pgo[j]
		if _, err := cw.WriteRowValues(s.carry[c]); err != nil {
			s.err = fmt.Errorf("encode row group: column %d, rows %d to %d: %w", c, at, s.n-1, err)
			return s.err
		}
	}
	s.carry, s.carryRows = nil, 0
	return nil
}

// Finish encodes what is held and returns the row group. The stream must
// not be used after.
func (s *RowGroupStream) Finish() (*EncodedRowGroup, error) {
	if s.err != nil {
		return nil, s.err
	}
	if err := s.flushRows(); err != nil {
		return nil, err
	}
	if !s.started {
		// A row group shorter than the sample: chosen from all its rows.
		if err := s.start(); err != nil {
			return nil, err
		}
	}
	// What start or the first flush left in the batch (under a chunk).
	if err := s.flushRows(); err != nil {
		return nil, err
	}
	if err := s.flushBatches(); err != nil {
		return nil, err
	}
	s.err = errors.New("encode row group: stream already finished")
	if s.own != nil && s.spool != nil && s.n > 0 {
		defer s.Close() // its temporary files; the spool goes with the row group or back
		return s.finishSpool()
	}
	if s.own != nil {
		return s.finishOwn()
	}
	if s.file == nil {
		return s.e.finish(s.w, s.buf, s.n)
	}
	defer s.Close()
	if err := s.w.Close(); err != nil {
		return nil, fmt.Errorf("encode row group of %d rows: %w", s.n, err)
	}
	if err := s.fileBuf.Flush(); err != nil {
		return nil, fmt.Errorf("encode row group of %d rows: %w", s.n, err)
	}
	size, err := s.file.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, fmt.Errorf("encode row group of %d rows: %w", s.n, err)
	}
	// Read back into a buffer of exactly its size: it is not pooled
	// (below), so the eighth more that bufferFor gives a buffer for the
	// next row group would only be held.
	data := makeLarge(size)
	if _, err := s.file.ReadAt(data, 0); err != nil {
		return nil, fmt.Errorf("encode row group of %d rows: read back: %w", s.n, err)
	}
	// The row group owns the buffer before its indexes are re-encoded,
	// so that indexRuns lets it go once the row group has moved to its
	// own copy: kept with the row group, it doubled what a finished row
	// group waiting to be written holds, uncounted by its Size. Neither
	// buffer goes back to the encoder's free list (g.free stays nil): kept
	// there, up to two idle buffers of a row group's size stayed live
	// between row groups, beyond what the memory plan counts (the read-back
	// row group, and its copy while it is made).
	g, err := s.e.parse(data)
	if err == nil {
		g.buf = bytes.NewBuffer(data)
		err = s.e.indexRuns(g, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("encode row group of %d rows: %w", s.n, err)
	}
	if g.numRows != s.n {
		return nil, fmt.Errorf("encode row group: wrote %d rows but the encoded group holds %d", s.n, g.numRows)
	}
	return g, nil
}

// Close removes the temporary files of a stream made by
// [RowGroupEncoder.NewStreamIn] (its pages' files are removed by Finish,
// or are left to the directory's owner when it is not called). It is
// safe to call more than once, and a no-op for other streams.
func (s *RowGroupStream) Close() error {
	err := s.releaseSpool()
	if s.file == nil {
		return err
	}
	if cerr := s.file.Close(); err == nil {
		err = cerr
	}
	if rerr := os.Remove(s.file.Name()); err == nil {
		err = rerr
	}
	s.file = nil
	return err
}

// ChunkStream takes a chunk's rows a piece at a time; see
// [RowGroupStream], the Parquet one.
type ChunkStream interface {
	// WriteRows encodes rows; the stream does not keep them.
	WriteRows(rows []parquet.Row) error
	// WriteBatches encodes the rows of parts; the stream does not keep
	// them.
	WriteBatches(parts []columnar.Rows) error
	// Finish returns the chunk of all the rows given.
	Finish() (Chunk, error)
	// Close releases what an unfinished stream holds.
	Close() error
}

// StreamEncoder is implemented by encoders whose chunks can be encoded a
// piece at a time, holding encoded bytes rather than rows (Parquet).
type StreamEncoder interface {
	// NewStream starts a chunk, holding what it holds until it is
	// written as opts says: in opts.Blocks, then in temporary files in
	// opts.Dir; in memory without either.
	NewStream(opts StreamOptions) (ChunkStream, error)
}

// NewStream starts a Parquet row group; see [RowGroupEncoder.NewStream]
// and [RowGroupEncoder.NewStreamWith].
func (e parquetEncoder) NewStream(opts StreamOptions) (ChunkStream, error) {
	if opts.Dir == "" && opts.Blocks == nil {
		return parquetStream{e.RowGroupEncoder.NewStream(opts.Checked)}, nil
	}
	s, err := e.RowGroupEncoder.NewStreamWith(opts)
	if err != nil {
		return nil, err
	}
	return parquetStream{s}, nil
}

type parquetStream struct{ *RowGroupStream }

func (s parquetStream) Finish() (Chunk, error) { return s.RowGroupStream.Finish() }

var _ StreamEncoder = parquetEncoder{}
