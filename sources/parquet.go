package sources

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync/atomic"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/filemeta"
	"github.com/splitdata/splitdata/internal/rowcheck"
)

// KeyValue is one entry of a file's key/value metadata: the type sinks
// write it as ([sinks.KeyValue]).
type KeyValue = filemeta.KeyValue

// Parquet is an opened Parquet input: its footer has been read and checked,
// its row groups can be streamed. A Parquet may be read by several
// goroutines at once, one row group each.
type Parquet struct {
	name    string
	size    int64
	file    *parquet.File
	schema  *parquet.Schema // file's, FLOAT16 restored (see withFloat16)
	closer  io.Closer
	r       io.ReaderAt // the file, for page-header checks
	fetch   Fetcher     // r, when its reads are requests over the network
	rows    []int64     // rows per row group
	numRows int64       // sum of rows
	stamp   fileStamp   // the file when opened, for CheckUnchanged
	layout  rowcheck.Layout
	ranges  rangeCache // page locations of row groups read in ranges
	dicts   dictShare  // dictionaries shared by the ranges of a row group
	sizes   sizeCache  // size estimates per row group
	// checked: the row groups whose page headers all passed their check
	// (checkPages), which need not be read again for it.
	checked []atomic.Bool

	footerMemory int64 // estimated bytes of the decoded footer
}

// OpenParquetFile opens the Parquet file at path and reads its footer.
// The caller must Close it.
func OpenParquetFile(path string) (*Parquet, error) {
	f, stamp, err := openFile(path)
	if err != nil {
		return nil, err
	}
	p, err := OpenParquet(path, f, stamp.opened.Size())
	if err != nil {
		f.Close()
		return nil, err
	}
	p.closer = f
	p.stamp = stamp
	return p, nil
}

// ErrChanged reports an input file that changed while it was being read.
var ErrChanged = errors.New("input changed during the run")

// CheckUnchanged reports, as an [InputError] wrapping [ErrChanged], whether
// the file opened by [OpenParquetFile] now differs in size or modification
// time from when it was opened, or is no longer the file at its path: rows
// read from a file being rewritten cannot be trusted. Inputs opened with
// [OpenParquet] are not checked.
func (p *Parquet) CheckUnchanged() error { return p.stamp.check() }

// OpenParquet reads the footer of the Parquet data in r, which holds size
// bytes; name is used in errors. Only the footer is read here. Any
// io.ReaderAt works, so inputs need not be local files; over a [Fetcher]
// (an object in a bucket), the columnar reads fetch each unit's bytes of a
// column in one go (see Fetcher).
//
// The footer is checked before it is decoded (see [MaxFooterBytes],
// [MaxFooterMemory] and [MaxSchemaDepth]): every count and length it
// states must fit the bytes that hold it, so a damaged or hostile footer
// gives an [InputError] and never a huge allocation.
func OpenParquet(name string, r io.ReaderAt, size int64) (*Parquet, error) {
	tail, memory, err := readFooter(name, r, size)
	if err != nil {
		return nil, err
	}
	// The decoder reads the footer through ft, from the bytes just checked.
	ft := &footerTail{r: r, off: size - int64(len(tail)), tail: tail}
	var pf *parquet.File
	err = guard(name, -1, func() error {
		var err error
		pf, err = parquet.OpenFile(ft, size,
			parquet.SkipPageIndex(true),
			parquet.SkipBloomFilters(true),
			parquet.OptimisticRead(false), // the footer alone, from ft
			parquet.SkipMagicBytes(true),  // readFooter checked it
		)
		return err
	})
	ft.tail = nil // from now on ft reads the file
	if err != nil {
		return nil, err
	}
	p := &Parquet{name: name, size: size, file: pf, r: r, footerMemory: memory}
	p.fetch, _ = r.(Fetcher)
	var total int64
	for i, rg := range pf.RowGroups() {
		n := rg.NumRows()
		if n < 0 {
			return nil, corrupt(name, i, fmt.Errorf("negative row count %d", n))
		}
		p.rows = append(p.rows, n)
		total += n
	}
	// Some old writers leave the file's row count at 0 (parquet-testing's
	// repeated_no_annotation.parquet); mainstream readers go by the row
	// groups, and so do we. Any other disagreement is corruption.
	if total != pf.NumRows() && pf.NumRows() != 0 {
		return nil, corrupt(name, -1, fmt.Errorf("footer says %d rows but its row groups hold %d", pf.NumRows(), total))
	}
	p.numRows = total
	p.checked = make([]atomic.Bool, len(p.rows))
	if err := checkSchema(name, pf.Schema()); err != nil {
		return nil, err
	}
	// A damaged schema can put a group's logical type on a leaf, and
	// parquet-go panics when asked that leaf's kind.
	if err := guard(name, -1, func() error { p.layout = rowcheck.New(pf.Schema()); return nil }); err != nil {
		return nil, err
	}
	if err := p.checkChunks(); err != nil {
		return nil, err
	}
	p.schema = withFloat16(pf)
	return p, nil
}

// checkSchema rejects schemas the writer cannot reproduce.
func checkSchema(name string, s *parquet.Schema) error {
	if len(s.Fields()) == 0 {
		return &InputError{Path: name, RowGroup: -1, Err: fmt.Errorf("%w: schema has no columns", ErrUnsupported)}
	}
	return nil
}

// MaxColumnChunkBytes is the largest uncompressed column chunk an input may
// hold. A row group is the unit of work and is decoded in memory, so one
// bigger than this would break the memory bound (and a single value above
// 2 GiB cannot be written back by the Parquet writer anyway).
const MaxColumnChunkBytes = 1 << 30

// checkChunks cross-checks the column chunk metadata against the schema:
// a chunk that declares nulls in a column that cannot hold any was written
// with a different schema than the footer states, and its pages would decode
// into garbage.
func (p *Parquet) checkChunks() error {
	for i, rg := range p.file.Metadata().RowGroups {
		if len(rg.Columns) != len(p.layout) {
			return corrupt(p.name, i, fmt.Errorf("%d column chunks for %d columns", len(rg.Columns), len(p.layout)))
		}
		for c, cc := range rg.Columns {
			leaf := p.layout[c]
			if err := p.checkCodec(i, c, cc.MetaData.Codec); err != nil {
				return err
			}
			if size := cc.MetaData.TotalUncompressedSize; size < 0 {
				return &InputError{Path: p.name, RowGroup: i, Column: shortColumn(leaf.Path), Err: fmt.Errorf("%w: column chunk of %d bytes uncompressed",
					ErrCorrupt, size)}
			} else if size > MaxColumnChunkBytes {
				return &InputError{Path: p.name, RowGroup: i, Column: shortColumn(leaf.Path), Err: fmt.Errorf("%w: column chunk of %d bytes uncompressed; row groups are decoded in memory and chunks above %d bytes are refused",
					ErrUnsupported, size, int64(MaxColumnChunkBytes))}
			}
			if leaf.MaxDef == 0 && cc.MetaData.Statistics.NullCount > 0 {
				return &InputError{Path: p.name, RowGroup: i, Column: shortColumn(leaf.Path), Err: fmt.Errorf("%w: statistics count %d nulls in a required column",
					ErrCorrupt, cc.MetaData.Statistics.NullCount)}
			}
		}
	}
	return nil
}

// ColumnInfo summarises one leaf column of a file over all its row groups.
type ColumnInfo struct {
	Path              string   `json:"path"`
	Type              string   `json:"type"`   // physical/logical type and repetition
	Codecs            []string `json:"codecs"` // compression codecs used, in first-seen order
	CompressedBytes   int64    `json:"compressed_bytes"`
	UncompressedBytes int64    `json:"uncompressed_bytes"`
}

// Columns describes the file's leaf columns in column order, from its
// footer.
func (p *Parquet) Columns() []ColumnInfo {
	cols := make([]ColumnInfo, len(p.layout))
	for c, path := range p.file.Schema().Columns() {
		if leaf, ok := p.file.Schema().Lookup(path...); ok && leaf.ColumnIndex < len(cols) {
			cols[leaf.ColumnIndex].Type = describe(leaf.Node)
		}
		cols[c].Path = p.layout[c].Path
	}
	for _, rg := range p.file.Metadata().RowGroups {
		for c, cc := range rg.Columns {
			if c >= len(cols) {
				break
			}
			col := &cols[c]
			codec := cc.MetaData.Codec.String()
			if !slices.Contains(col.Codecs, codec) {
				col.Codecs = append(col.Codecs, codec)
			}
			col.CompressedBytes += cc.MetaData.TotalCompressedSize
			col.UncompressedBytes += cc.MetaData.TotalUncompressedSize
		}
	}
	return cols
}

// FooterMemory returns an estimate, on the high side, of the memory the
// decoded footer takes while p is open (its thrift structures, the column
// tree and the row-group bookkeeping built on them), for memory budgets.
// It is at most [MaxFooterMemory].
func (p *Parquet) FooterMemory() int64 { return p.footerMemory }

// CreatedBy returns the footer's created_by: the writer that made the file.
func (p *Parquet) CreatedBy() string { return p.file.Metadata().CreatedBy }

// Name returns the name the input was opened with.
func (p *Parquet) Name() string { return p.name }

// Size returns the size of the input in bytes.
func (p *Parquet) Size() int64 { return p.size }

// NumRows returns the number of rows in the file: the sum of its row
// groups' row counts.
func (p *Parquet) NumRows() int64 { return p.numRows }

// NumRowGroups returns the number of row groups.
func (p *Parquet) NumRowGroups() int { return len(p.rows) }

// RowGroupNumRows returns the number of rows in row group i.
func (p *Parquet) RowGroupNumRows(i int) int64 { return p.rows[i] }

// Schema returns the file's schema, as parquet-go models it except that
// FLOAT16 leaves keep their annotation.
func (p *Parquet) Schema() *parquet.Schema { return p.schema }

// KeyValueMetadata returns the file's key/value metadata in file order.
func (p *Parquet) KeyValueMetadata() []KeyValue {
	md := p.file.Metadata().KeyValueMetadata
	kv := make([]KeyValue, len(md))
	for i, e := range md {
		kv[i] = KeyValue{Key: e.Key, Value: e.Value}
	}
	return kv
}

// ReadRowGroup streams the rows of row group i to fn in batches of at most
// batch rows, in file order. The rows passed to fn are borrowed: they are
// valid only until fn returns. ReadRowGroup checks that the row group holds
// exactly the rows its footer declares.
func (p *Parquet) ReadRowGroup(ctx context.Context, i, batch int, fn func(rows []parquet.Row) error) error {
	if i < 0 || i >= len(p.rows) {
		return fmt.Errorf("%s: row group %d out of range [0,%d)", p.name, i, len(p.rows))
	}
	want := p.rows[i]
	if err := p.checkPages(i); err != nil {
		return err
	}
	var rg parquet.RowGroup
	if err := guard(p.name, i, func() error { rg = p.file.RowGroups()[i]; return nil }); err != nil {
		return err
	}
	return p.readRows(ctx, i, rg, 0, want, batch, fn)
}

// Close releases the file.
func (p *Parquet) Close() error {
	p.dicts.reset()
	if p.closer == nil {
		return nil
	}
	err := p.closer.Close()
	p.closer = nil
	return err
}

// guard runs fn and turns a panic raised while decoding untrusted bytes into
// an ErrCorrupt error naming the file and row group. The Parquet decoder we
// build on can panic on malformed input (out-of-range offsets, impossible
// lengths); such input must give an error, never crash the process. fn must
// call nothing but the decoder, so that a panic in our own code still crashes
// with its stack.
func guard(name string, rg int, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = corrupt(name, rg, clip(fmt.Errorf("malformed data: %v", r)))
		}
	}()
	if err := fn(); err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		var ie *InputError
		if errors.As(err, &ie) {
			return err
		}
		return corrupt(name, rg, clip(err))
	}
	return nil
}
