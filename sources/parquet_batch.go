package sources

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/internal/columnar"
)

// BatchReader is implemented by sources that decode a unit column by
// column into a [columnar.Batch], the fast path for schemas without
// repeated fields. Callers find it by type assertion and fall back to the
// row path when it is missing, or when Layout or ReadBatch return an error
// wrapping [ErrUnsupported]: a schema with repeated fields (the error then
// also wraps [columnar.ErrRepeated]) or a column type batches do not hold,
// or a unit whose batch would be too large.
type BatchReader interface {
	// Layout returns the columnar layout of the source's schema, or an
	// error wrapping ErrUnsupported when batches cannot hold it.
	Layout() (columnar.Layout, error)
	// ReadBatch decodes unit i into a new batch owned by the caller.
	ReadBatch(ctx context.Context, i int) (*columnar.Batch, error)
	// ReadBatchInto is ReadBatch decoding into the memory of reuse, a
	// batch the caller no longer needs, where it is large enough.
	ReadBatchInto(ctx context.Context, i int, reuse *columnar.Batch) (*columnar.Batch, error)
}

var _ BatchReader = (*Parquet)(nil)

// hostLittleEndian reports whether this machine stores integers least
// significant byte first. The decoder hands over a page's fixed-width
// values as the bytes of Go slices, in the machine's order, and batches
// hold them little-endian: ReadBatch copies those bytes without swapping
// and so refuses to run on a big-endian machine rather than return
// byte-swapped values.
var hostLittleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// Layout returns the columnar layout of p's schema: one [columnar.Type] per
// leaf column. A schema batches cannot hold gives an [InputError] wrapping
// [ErrUnsupported]: one with a repeated field (the error then also wraps
// [columnar.ErrRepeated]), and one with a leaf of no physical kind
// batches know, such as a column of Parquet's NULL logical type, which
// Arrow writes for columns of nulls, or an out-of-range type in a damaged
// footer. Read such files with [Parquet.ReadRowGroup], which tells the two
// apart.
func (p *Parquet) Layout() (columnar.Layout, error) {
	layout, err := columnar.LayoutOf(p.file.Schema())
	if err != nil {
		return nil, &InputError{Path: p.name, RowGroup: -1, Err: fmt.Errorf("%w: %w", ErrUnsupported, err)}
	}
	return layout, nil
}

// ReadBatch decodes row group i of p into a columnar batch, column chunk by
// column chunk, copying each page's values and definition levels. The batch
// holds the rows [Parquet.ReadRowGroup] yields, in the same order and with
// the same values and levels, and belongs to the caller. Like ReadRowGroup
// it checks the page headers first and requires every column to hold
// exactly the rows the footer declares (ReadRowGroup stops reading at that
// count, so it does not notice a column holding more). Damaged data gives
// an [InputError] wrapping [ErrCorrupt] that names the file, the row group
// and, where known, the column. Schemas [Parquet.Layout] refuses are
// refused with its error, naming row group i; so is a column that would
// take more than [MaxColumnChunkBytes] in the batch (nulls take a value
// slot each, dictionary values are repeated in full), with ErrUnsupported:
// ReadRowGroup may still read such files. ReadBatch may be called from
// several goroutines at once, as ReadRowGroup.
func (p *Parquet) ReadBatch(ctx context.Context, i int) (*columnar.Batch, error) {
	return p.ReadBatchInto(ctx, i, nil)
}

// ReadBatchInto is [Parquet.ReadBatch] decoding into reuse's memory where
// it is large enough: reuse, a batch from an earlier ReadBatch of a source
// of the same schema that the caller no longer needs (nor anything sliced
// from it), is overwritten and returned. A nil reuse, or one of another
// layout, is ignored. Reusing spares the runtime the page faults and the
// zeroing of fresh memory for every row group.
func (p *Parquet) ReadBatchInto(ctx context.Context, i int, reuse *columnar.Batch) (*columnar.Batch, error) {
	if i < 0 || i >= len(p.rows) {
		return nil, fmt.Errorf("%s: row group %d out of range [0,%d)", p.name, i, len(p.rows))
	}
	return p.readBatch(ctx, i, 0, p.rows[i], reuse)
}

// preparer is a chunk whose page headers are checked just before it is
// decoded (rangeChunk, fetchChunk).
type preparer interface{ prepare() error }

// readBatch decodes rows [first, first+want) of row group i, a valid range,
// into a batch, reusing reuse's memory (see ReadBatchInto).
func (p *Parquet) readBatch(ctx context.Context, i int, first, want int64, reuse *columnar.Batch) (*columnar.Batch, error) {
	ranged := want != p.rows[i]
	share := ranged && p.dicts.shared(i)
	if share {
		defer p.dicts.done(i) // whatever the outcome
	}
	// A range's pages are checked with its row group's page locations
	// (rangeChunks); over a Fetcher, each chunk's are checked before it
	// is decoded, from the bytes it is decoded from (fetchWhole); a whole
	// row group's, column by column just before each is decoded
	// (chunkReader.check), from the span direct decoding reads whole when
	// it does: a small chunk's headers are not read from the file twice.
	check := !ranged && p.fetch == nil && !p.pagesChecked(i)
	if !hostLittleEndian {
		return nil, &InputError{Path: p.name, RowGroup: i, Err: fmt.Errorf("%w: columnar decoding needs a little-endian machine", ErrUnsupported)}
	}
	layout, err := p.Layout()
	if err != nil {
		var ie *InputError
		if errors.As(err, &ie) {
			ie.RowGroup = i // a new error of Layout's, unshared
		}
		return nil, err
	}
	var chunks []parquet.ColumnChunk
	if err := guard(p.name, i, func() error { chunks = p.file.RowGroups()[i].ColumnChunks(); return nil }); err != nil {
		return nil, err
	}
	meta := p.file.Metadata().RowGroups[i].Columns // checkChunks: one per leaf
	if len(chunks) != len(layout) || len(meta) != len(layout) || len(p.layout) != len(layout) {
		return nil, corrupt(p.name, i, fmt.Errorf("%d column chunks for %d columns", len(chunks), len(layout)))
	}
	switch {
	case ranged:
		if chunks, err = p.rangeChunks(i, chunks, first, want, true); err != nil {
			return nil, err
		}
	case p.fetch != nil:
		fetched := make([]parquet.ColumnChunk, len(chunks))
		for c := range chunks {
			fetched[c] = p.fetchWhole(i, c, chunks[c])
		}
		chunks = fetched
	}
	r := chunkReader{p: p, rg: i, want: want}
	r.share, r.check = share, check
	b := &columnar.Batch{Cols: make([]columnar.Column, len(layout))}
	if reuse != nil && len(reuse.Cols) == len(layout) {
		b, reuse.Len = reuse, 0
	}
	for c := range layout {
		col := &b.Cols[c]
		if col.Type != layout[c] {
			*col = columnar.Column{} // reused for another type: nothing to keep
		}
		col.Type = layout[c]
		if slot := slotBytes(col.Type); want > MaxColumnChunkBytes/slot {
			return nil, r.fail(c, fmt.Errorf("%w: %d rows of %d bytes (nulls included)", errBatchTooLarge, want, slot))
		}
		md := &meta[c].MetaData
		if ranged {
			md = scaledMeta(md, want, p.rows[i])
		}
		chunk := chunks[c]
		if p.fetch != nil {
			// The next column's bytes are fetched while this one
			// decodes.
			prefetch(chunk)
			if c+1 < len(chunks) {
				prefetch(chunks[c+1])
			}
		}
		if pc, ok := chunk.(preparer); ok {
			if err := pc.prepare(); err != nil {
				return nil, err
			}
		}
		presize(col, want, md)
		if err := r.read(ctx, c, chunk, col, md); err != nil {
			return nil, err
		}
	}
	if check {
		p.markChecked(i)
	}
	b.Len = int(want)
	// The Append methods checked each level's range and each value's
	// type; what else the row path's Check refuses is two columns
	// disagreeing on whether a group they share is null.
	defs := make([][]byte, len(b.Cols))
	for c := range b.Cols {
		defs[c] = b.Cols[c].Defs
	}
	if err := p.layout.CheckColumns(defs); err != nil {
		return nil, corrupt(p.name, i, err)
	}
	return b, nil
}

// errBatchTooLarge reports a column that a batch would hold in more than
// MaxColumnChunkBytes, which the row path may still read: a batch gives
// every null a value slot of the column's width, and repeats dictionary
// values in full.
var errBatchTooLarge = fmt.Errorf("column takes more than %d bytes in a batch", int64(MaxColumnChunkBytes))

// slotBytes is what a row takes in a column of type t besides ByteArray
// values: its definition level and its value slot or offset.
func slotBytes(t columnar.Type) int64 {
	n := int64(t.Width)
	if t.Width == 0 {
		n = 4
	}
	if t.MaxDef > 0 {
		n++
	}
	return n
}

// chunkReader decodes the column chunks of row group rg of p, for one
// goroutine.
type chunkReader struct {
	p       *Parquet
	rg      int
	want    int64            // rows the footer declares
	scratch []parquet.Value  // values of a page read value by value
	dict    *columnar.Column // the current chunk's dictionary, once read
	dictMax int64            // its longest ByteArray value
	share   bool             // dictionaries come from p.dicts (ShareDictionaries)
	// presized tells that the current chunk's column was presized for
	// its dictionary's values (direct decoding).
	presized bool
	// check tells that each column chunk's page headers are checked
	// (checkColumnPages) before it is decoded; unchecked, that the
	// current chunk's have not been yet.
	check, unchecked bool
}

// page is what a decoded page offers for copying.
type page struct {
	pg   parquet.Page
	n    int    // rows: one value or null each, as nothing repeats
	defs []byte // definition levels; nil for a required column
	data encoding.Values
	dict parquet.Dictionary // non-nil when data holds dictionary indexes
}

// read appends the rows of column chunk c, whose metadata is md, to col,
// page by page, and checks that it holds the rows the footer declares.
func (r *chunkReader) read(ctx context.Context, c int, chunk parquet.ColumnChunk, col *columnar.Column, md *format.ColumnMetaData) error {
	r.unchecked = r.check
	if direct, err := r.readDirect(ctx, c, chunk, col, md); direct || err != nil {
		return err
	}
	if r.unchecked {
		if err := r.p.checkColumnPages(r.p.r, r.rg, c); err != nil {
			return err
		}
		r.unchecked = false
	}
	src, spans := r.p.checkSource(chunk)
	if err := r.p.checkDecoderPages(src, r.rg, c, spans); err != nil {
		return err
	}
	var pages parquet.Pages
	if err := guard(r.p.name, r.rg, func() error { pages = chunk.Pages(); return nil }); err != nil {
		return r.inColumn(c, err)
	}
	defer pages.Close()
	r.dict, r.dictMax = nil, 0
	for k := 0; ; k++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		var pg page
		eof := false
		err := guard(r.p.name, r.rg, func() error {
			p, err := pages.ReadPage()
			if err == io.EOF {
				eof = true
				return nil
			}
			if err != nil {
				return err
			}
			pg = page{pg: p, n: int(p.NumValues()), defs: p.DefinitionLevels(), data: p.Data(), dict: p.Dictionary()}
			return nil
		})
		if err != nil {
			return r.inColumn(c, err)
		}
		if eof {
			break
		}
		err = r.copyPage(c, col, &pg, md)
		// The page's buffers go back to the decoder's pools: everything
		// has been copied out of them.
		parquet.Release(pg.pg)
		if err != nil {
			return r.fail(c, fmt.Errorf("page %d: %w", k, err))
		}
	}
	if n := col.Rows(); int64(n) != r.want {
		return r.fail(c, fmt.Errorf("footer declares %d rows, found %d", r.want, n))
	}
	return nil
}

// dictionary copies the values of a column chunk's dictionary into a
// required column of type t.
func (r *chunkReader) dictionary(c int, t columnar.Type, d parquet.Dictionary) (*columnar.Column, error) {
	dict := &columnar.Column{Type: columnar.Type{Kind: t.Kind, Width: t.Width}}
	var pg page
	err := guard(r.p.name, r.rg, func() error {
		p := d.Page()
		pg = page{pg: p, n: int(p.NumValues()), data: p.Data()}
		return nil
	})
	if err != nil {
		return nil, r.inColumn(c, err)
	}
	// The dictionary's page is the dictionary's own memory, not a pooled
	// buffer: it is not released.
	if err := r.appendPage(c, dict, &pg); err != nil {
		return nil, r.fail(c, fmt.Errorf("dictionary: %w", err))
	}
	return dict, nil
}

// longest returns the length of the longest value of a ByteArray column.
func longest(col *columnar.Column) int64 {
	var n uint32
	for k := 1; k < len(col.Offsets); k++ {
		n = max(n, col.Offsets[k]-col.Offsets[k-1])
	}
	return int64(n)
}

// indexedBytes returns the bytes of the values indexes select from dict,
// a ByteArray column, ignoring indexes out of its range.
func indexedBytes(indexes []int32, dict *columnar.Column) int64 {
	var n int64
	for _, x := range indexes {
		if x >= 0 && int(x) < len(dict.Offsets)-1 {
			n += int64(dict.Offsets[x+1] - dict.Offsets[x])
		}
	}
	return n
}

// copyPage appends the rows of pg, a page of the chunk whose metadata is
// md, to col, refusing a page that takes col past the rows the footer
// declares, or past MaxColumnChunkBytes of values.
func (r *chunkReader) copyPage(c int, col *columnar.Column, pg *page, md *format.ColumnMetaData) error {
	if rows := int64(col.Rows()) + int64(pg.n); rows > r.want {
		return fmt.Errorf("brings the column to %d rows, but the footer declares %d", rows, r.want)
	}
	roomFixed(col, pg.n, r.want, presizeLimit(md))
	if pg.dict == nil || pg.data.Kind() != encoding.Int32 {
		if data, _ := pg.data.Data(); col.Width == 0 && int64(len(col.Bytes))+int64(len(data)) > MaxColumnChunkBytes {
			return errBatchTooLarge
		}
		return r.appendPage(c, col, pg)
	}
	if r.dict == nil {
		// FilePages decodes one dictionary per column chunk and gives
		// it to every dictionary-encoded page; the ranges of a row
		// group may share one copy of it (parquet_dictshare.go).
		decode := func() (*columnar.Column, error) { return r.dictionary(c, col.Type, pg.dict) }
		if err := r.useDictionary(c, decode); err != nil {
			return err
		}
		presizeIndexed(col, r.dict, r.want, md)
	}
	indexes := pg.data.Int32()
	if col.Width == 0 && int64(len(col.Bytes))+int64(len(indexes))*r.dictMax > MaxColumnChunkBytes &&
		int64(len(col.Bytes))+indexedBytes(indexes, r.dict) > MaxColumnChunkBytes {
		return errBatchTooLarge
	}
	return appendIndexed(col, pg.n, pg.defs, indexes, r.dict)
}

// appendPage appends the rows of pg, a page of plain values, to col: the
// page's typed values as they are (the bytes of its Go slices, which
// hostLittleEndian makes little-endian), or value by value for booleans
// (bit-packed from an offset the page keeps to itself) and anything
// unexpected.
func (r *chunkReader) appendPage(c int, col *columnar.Column, pg *page) error {
	switch kind := pg.data.Kind(); {
	case pg.dict != nil:
		// Indexes of another type than the decoder makes.
	case kind == encoding.ByteArray && col.Kind == parquet.ByteArray:
		data, offsets := pg.data.ByteArray()
		return col.AppendByteArrays(pg.n, pg.defs, data, offsets)
	case kind == encoding.FixedLenByteArray && col.Kind == parquet.FixedLenByteArray:
		data, size := pg.data.FixedLenByteArray()
		if size != col.Width {
			return fmt.Errorf("%d-byte values in a column of width %d", size, col.Width)
		}
		return col.AppendFixed(pg.n, pg.defs, data)
	case kind != encoding.Undefined && kind == fixedKind(col.Kind):
		data, _ := pg.data.Data()
		return col.AppendFixed(pg.n, pg.defs, data)
	}
	return r.copyValues(c, col, pg)
}

// fixedKind returns the page data kind whose bytes are a column of kind k
// as batches hold it, or encoding.Undefined when there is none (booleans,
// byte arrays).
func fixedKind(k parquet.Kind) encoding.Kind {
	switch k {
	case parquet.Int32:
		return encoding.Int32
	case parquet.Int64:
		return encoding.Int64
	case parquet.Int96:
		return encoding.Int96
	case parquet.Float:
		return encoding.Float
	case parquet.Double:
		return encoding.Double
	}
	return encoding.Undefined
}

// copyValues appends the rows of pg to col through the page's value
// reader, the slow path, a bounded number of values at a time.
func (r *chunkReader) copyValues(c int, col *columnar.Column, pg *page) error {
	if r.scratch == nil {
		r.scratch = make([]parquet.Value, 1024)
	}
	var values parquet.ValueReader
	if err := guard(r.p.name, r.rg, func() error { values = pg.pg.Values(); return nil }); err != nil {
		return r.inColumn(c, err)
	}
	for total := 0; ; {
		var k int
		eof := false
		err := guard(r.p.name, r.rg, func() error {
			var err error
			k, err = values.ReadValues(r.scratch)
			if err == io.EOF {
				eof = true
				return nil
			}
			return err
		})
		if err != nil {
			return r.inColumn(c, err)
		}
		if total += k; total > pg.n {
			return fmt.Errorf("page of %d rows yields more values", pg.n)
		}
		for _, v := range r.scratch[:k] {
			if err := col.AppendValue(v); err != nil {
				return fmt.Errorf("value %d: %w", total-k, err)
			}
		}
		clear(r.scratch[:k]) // drop references to the page's memory
		switch {
		case eof && total != pg.n:
			return fmt.Errorf("page of %d rows yields %d values", pg.n, total)
		case eof:
			return nil
		case k == 0:
			return errors.New("value reader made no progress")
		}
	}
}

// fail wraps err, a problem with the data of column c, as an InputError:
// corruption, or an unsupported input for values a batch cannot address.
func (r *chunkReader) fail(c int, err error) error {
	var ie *InputError
	if errors.As(err, &ie) {
		return err
	}
	kind := ErrCorrupt
	if errors.Is(err, columnar.ErrTooLarge) || errors.Is(err, errBatchTooLarge) {
		kind = ErrUnsupported
	}
	return &InputError{Path: r.p.name, RowGroup: r.rg, Column: r.p.layout[c].Path, Err: fmt.Errorf("%w: %w", kind, err)}
}

// inColumn names column c in err, an error from guard, when it names no
// column yet.
func (r *chunkReader) inColumn(c int, err error) error {
	var ie *InputError
	if errors.As(err, &ie) && ie.Column == "" {
		ie.Column = r.p.layout[c].Path
	}
	return err
}
