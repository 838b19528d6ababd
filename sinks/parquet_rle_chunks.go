package sinks

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/parquet-go/parquet-go/format"
)

// This file gives the column chunks parquet-go writes (the row path,
// nested and other columns the page writer does not cover, streams whose
// pages go to files) the dictionary indexes of splitdata 0.7.0, so that
// every path writes the same bytes for the same rows.
//
// parquet-go v0.32 has no hook for the index encoder: its writer replaces
// the encoding of a dictionary-encoded column, whatever the schema says,
// with its own RLE_DICTIONARY (rle.DictionaryEncoding, a package
// variable), and its indexed page type calls it directly. Wrapping the
// column's type to reach the pages breaks its fall-back to PLAIN, which
// unwraps the type by a type assertion. So its data pages of indexes are
// re-encoded once written: each is decompressed, its levels kept as they
// are, its indexes decoded and encoded again by appendIndexRuns, the page
// compressed again and given a new header (sizes and CRC). Where no run
// pays the indexes come out as parquet-go wrote them, and a row group
// none of whose pages change is left as it is, without a copy. Page
// boundaries, levels, statistics and the dictionary page do not depend on
// how indexes are encoded, so the chunk is then the page writer's, byte
// for byte.
//
// Since splitdata 0.8.0 the dictionary pages of those chunks are
// compressed again too, by the encoder's dictionary codec (snappy's
// better encoder where the data pages take the fast one, see
// ParquetOptions.dictionaryCodec), which parquet-go's writer cannot be
// given: it compresses every page of a chunk with one codec.

// indexRuns re-encodes the dictionary indexes of g's column chunks that
// parquet-go wrote, those of columns c without own[c] (own may be nil),
// unless e writes 0.6.0's indexes ([ParquetOptions.AlignedIndexRuns]),
// and compresses their dictionary pages again when e's dictionary codec
// is not its codec. g.data is rewritten in its own buffer when it has
// one that the new data fits, else replaced (and its buffer, when it has
// one, given back to e); the metadata and offset indexes follow it.
func (e *RowGroupEncoder) indexRuns(g *EncodedRowGroup, own []*pageWriter) error {
	if (e.opts.AlignedIndexRuns && !e.recompressDictionaries()) || g.data == nil {
		return nil
	}
	cols := g.meta.Columns
	todo := false
	for c := range cols {
		if (own == nil || own[c] == nil) && slices.Contains(cols[c].MetaData.Encoding, format.RLEDictionary) {
			todo = true
		}
	}
	if !todo {
		return nil
	}
	const base = int64(len(parquetMagic))
	t := transcoders.get()
	if t == nil {
		t = new(runsTranscoder)
	}
	t.e = e
	defer t.release()
	if same, err := t.unchanged(g, own, base); err != nil || same {
		return err
	}
	// The chunks that change are re-encoded into t.side, and every other
	// byte of g.data moves by what the chunks before it grew: moves says
	// where each piece of the new file comes from.
	t.side = t.side[:0]
	var moves []chunkMove
	at := base   // file offset of the new file's next byte
	done := base // file offset of the old data placed so far
	for c := range cols {
		md := &cols[c].MetaData
		first := md.DataPageOffset
		if md.DictionaryPageOffset > 0 {
			first = min(first, md.DictionaryPageOffset)
		}
		end := first + md.TotalCompressedSize
		if first < done || end > base+int64(len(g.data)) || md.TotalCompressedSize < 0 {
			return fmt.Errorf("re-encode dictionary indexes: column chunk %d at [%d, %d) is out of order or outside the row group", c, first, end)
		}
		if md.BloomFilterOffset > 0 {
			return fmt.Errorf("re-encode dictionary indexes: column chunk %d has a bloom filter", c)
		}
		moves = append(moves, chunkMove{src: done, dst: at, n: first - done})
		at += first - done
		if (own != nil && own[c] != nil) || !slices.Contains(md.Encoding, format.RLEDictionary) {
			moves = append(moves, chunkMove{src: first, dst: at, n: end - first})
			shift := at - first
			at += end - first
			md.DataPageOffset += shift
			if md.DictionaryPageOffset > 0 {
				md.DictionaryPageOffset += shift
			}
			if oi := g.offsetIndex[c]; oi != nil {
				for k := range oi.PageLocations {
					oi.PageLocations[k].Offset += shift
				}
			}
			done = end
			continue
		}
		pages, err := g.chunkPages(&cols[c], first, base)
		if err != nil {
			return fmt.Errorf("re-encode dictionary indexes of column chunk %d: %w", c, err)
		}
		moved := make(map[int64]format.PageLocation, len(pages)) // by old offset
		var grew, grewBody int64
		for _, p := range pages {
			raw := g.data[p.off-base : p.off+p.headerLen+int64(p.header.CompressedPageSize)-base]
			from := len(t.side)
			n, body, err := t.page(c, md, p, raw)
			if err != nil {
				return fmt.Errorf("re-encode dictionary indexes of column chunk %d, page at byte %d: %w", c, p.off, err)
			}
			m := chunkMove{src: int64(from), dst: at, n: int64(n), side: true}
			if len(t.side) > maxReencodedAside {
				// Beyond the bound, only the page's new size is kept: it
				// is re-encoded again where it is placed.
				t.side = t.side[:from]
				m = chunkMove{src: p.off, dst: at, n: int64(n), again: true, col: c, page: p}
			}
			moves = append(moves, m)
			moved[p.off] = format.PageLocation{Offset: at, CompressedPageSize: int32(n)}
			at += int64(n)
			grew += int64(n) - int64(len(raw))
			grewBody += body
		}
		md.TotalCompressedSize += grew
		md.TotalUncompressedSize += grewBody
		g.meta.TotalCompressedSize += grew
		g.meta.TotalByteSize += grewBody
		relocate := func(off int64) (int64, error) {
			loc, ok := moved[off]
			if !ok {
				return 0, fmt.Errorf("re-encode dictionary indexes of column chunk %d: no page at byte %d", c, off)
			}
			return loc.Offset, nil
		}
		if md.DataPageOffset, err = relocate(md.DataPageOffset); err != nil {
			return err
		}
		if md.DictionaryPageOffset > 0 {
			if md.DictionaryPageOffset, err = relocate(md.DictionaryPageOffset); err != nil {
				return err
			}
		}
		if oi := g.offsetIndex[c]; oi != nil {
			for k := range oi.PageLocations {
				loc := &oi.PageLocations[k]
				m, ok := moved[loc.Offset]
				if !ok {
					return fmt.Errorf("re-encode dictionary indexes of column chunk %d: no page at byte %d", c, loc.Offset)
				}
				loc.Offset, loc.CompressedPageSize = m.Offset, m.CompressedPageSize
			}
		}
		done = end
	}
	moves = append(moves, chunkMove{src: done, dst: at, n: base + int64(len(g.data)) - done})
	at += base + int64(len(g.data)) - done
	// The column indexes may point into the old buffer, past the data,
	// which the new data may cover: copied aside first.
	var ciSize int
	for _, ci := range g.columnIndex {
		ciSize += len(ci)
	}
	cis := make([]byte, 0, ciSize)
	for c, ci := range g.columnIndex {
		if ci != nil {
			k := len(cis)
			cis = append(cis, ci...)
			g.columnIndex[c] = cis[k:len(cis):len(cis)]
		}
	}
	// In place when the row group owns its buffer and the new file fits
	// it (the old file's page index and footer leave room for pages that
	// grew a little): else a second buffer of the row group's size was
	// live beside the first while it was filled, the most the row path
	// held at once (two 38 MB copies on the wide shape of
	// benchmarks/peers.sh).
	old := g.file
	inPlace := g.buf != nil && old != nil && at <= int64(cap(old))
	var out []byte
	if inPlace {
		out = old[:at]
	} else {
		out = make([]byte, at)
		copy(out, parquetMagic)
	}
	place := func(m chunkMove) error {
		switch {
		case m.side:
			copy(out[m.dst:m.dst+m.n], t.side[m.src:m.src+m.n])
		case m.again:
			// Its old bytes are still in place (see below).
			p := m.page
			raw := g.data[p.off-base : p.off+p.headerLen+int64(p.header.CompressedPageSize)-base]
			from := len(t.side)
			n, _, err := t.page(m.col, &cols[m.col].MetaData, p, raw)
			if err != nil {
				return fmt.Errorf("re-encode dictionary indexes of column chunk %d, page at byte %d: %w", m.col, p.off, err)
			}
			if int64(n) != m.n {
				return fmt.Errorf("re-encode dictionary indexes of column chunk %d, page at byte %d: %d bytes, then %d", m.col, p.off, m.n, n)
			}
			copy(out[m.dst:m.dst+m.n], t.side[from:])
			t.side = t.side[:from]
		default:
			copy(out[m.dst:m.dst+m.n], g.data[m.src-base:m.src-base+m.n])
		}
		return nil
	}
	// In place, a piece that moves back is placed before the pieces after
	// it, one that moves on after them, and the pages re-encoded aside
	// last, so that no piece's old bytes are overwritten before it is
	// placed: the new places are in the old order, so a piece moving back
	// only covers old bytes of pieces before it, placed already, and one
	// moving on only those of pieces after it.
	for _, m := range moves {
		if !m.side && m.n > 0 && m.dst <= m.src {
			if err := place(m); err != nil {
				return err
			}
		}
	}
	for k := len(moves) - 1; k >= 0; k-- {
		if m := moves[k]; !m.side && m.n > 0 && m.dst > m.src {
			if err := place(m); err != nil {
				return err
			}
		}
	}
	for _, m := range moves {
		if m.side {
			_ = place(m)
		}
	}
	n := len(out)
	g.data, g.file = out[base:n:n], out[:n:n]
	if g.buf != nil && !inPlace {
		select {
		case g.free <- g.buf:
		default:
		}
		g.buf = bytes.NewBuffer(out[:0])
	}
	g.held = int64(cap(out)) + int64(cap(cis))
	return nil
}

// chunkMove is a piece of a row group's new file whose indexes
// indexRuns re-encodes: n bytes from file offset src of the old data, or
// from offset src of the pages re-encoded aside (side), or page, of
// column col, at file offset src, re-encoded again (again), to file
// offset dst of the new.
type chunkMove struct {
	src, dst, n int64
	side, again bool
	col         int
	page        page
}

// ReencodedAsideBytes is the most bytes of pages the re-encoding of a
// row group's dictionary indexes keeps aside, besides one page more,
// while it moves the rest of the row group in place (maxReencodedAside),
// for memory plans.
const ReencodedAsideBytes = 1 << 20

// maxReencodedAside bounds the pages indexRuns keeps re-encoded aside
// while it moves the rest of a row group in place (a page more at most):
// the pages beyond it are re-encoded twice, once for their size and once
// where they go, so that the row group is never held twice, however many
// of its chunks parquet-go dictionary-encoded.
var maxReencodedAside = ReencodedAsideBytes // a variable for tests

// unchanged reports whether every page of indexes parquet-go wrote in g
// (columns without own[c]) is already as appendIndexRuns encodes it.
func (t *runsTranscoder) unchanged(g *EncodedRowGroup, own []*pageWriter, base int64) (bool, error) {
	for c := range g.meta.Columns {
		cc := &g.meta.Columns[c]
		md := &cc.MetaData
		if (own != nil && own[c] != nil) || !slices.Contains(md.Encoding, format.RLEDictionary) {
			continue
		}
		first := md.DataPageOffset
		if md.DictionaryPageOffset > 0 {
			first = min(first, md.DictionaryPageOffset)
		}
		if first < base || first+md.TotalCompressedSize > base+int64(len(g.data)) || md.TotalCompressedSize < 0 {
			return false, fmt.Errorf("re-encode dictionary indexes: column chunk %d at [%d, +%d) lies outside the row group", c, first, md.TotalCompressedSize)
		}
		pages, err := g.chunkPages(cc, first, base)
		if err != nil {
			return false, fmt.Errorf("re-encode dictionary indexes of column chunk %d: %w", c, err)
		}
		for _, p := range pages {
			if p.header.Type == format.DictionaryPage && t.e.recompressDictionaries() {
				return false, nil
			}
			if !indexPage(&p.header) || t.e.opts.AlignedIndexRuns {
				continue
			}
			raw := g.data[p.off-base : p.off+p.headerLen+int64(p.header.CompressedPageSize)-base]
			same, err := t.encode(c, md, p, raw)
			if err != nil {
				return false, fmt.Errorf("re-encode dictionary indexes of column chunk %d, page at byte %d: %w", c, p.off, err)
			}
			if !same {
				return false, nil
			}
		}
	}
	return true, nil
}

// recompressDictionaries reports whether the dictionary pages parquet-go
// writes for e are compressed again, by e's dictionary codec.
func (e *RowGroupEncoder) recompressDictionaries() bool {
	return e.dictCodec != e.codec
}

// indexPage reports whether h is the header of a data page of
// dictionary indexes.
func indexPage(h *format.PageHeader) bool {
	return h.Type == format.DataPage && h.DataPageHeader.V.Encoding == format.RLEDictionary
}
