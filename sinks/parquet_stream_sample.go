package sinks

import (
	"fmt"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// This file holds what a stream does before its writer is open with
// EncodingAuto: the rows or batches of the sample held, and the choice of
// the encodings made from it.

// start chooses the encodings from the sample (EncodingAuto), opens the
// writer and writes what was held for the choice: rows in whole chunks
// of chunkRows from the row group's first row, as they would have been
// written had the writer been open from the start.
func (s *RowGroupStream) start() error {
	s.started = true
	if !s.e.auto {
		if s.batches {
			return s.openBatches(nil)
		}
		return s.open(s.e.config)
	}
	if s.batches {
		return s.startBatches()
	}
	cols := make([][]parquet.Value, len(s.e.leaves))
	for _, row := range s.held[:s.sampled] {
		for _, v := range row {
			if c := v.Column(); c >= 0 && c < len(cols) {
				cols[c] = append(cols[c], v)
			}
		}
	}
	dict := s.e.dictionaryColumns(cols)
	config, err := s.e.configFor(dict)
	if err != nil {
		s.err = fmt.Errorf("encode row group: %w", err)
		return s.err
	}
	if err := s.open(config); err != nil {
		return err
	}
	held := s.held
	s.held = nil
	whole := len(held) / chunkRows * chunkRows
	if whole > 0 {
		if _, err := s.w.WriteRows(held[:whole]); err != nil {
			s.err = fmt.Errorf("encode row group: rows 0 to %d: %w", whole-1, err)
			return s.err
		}
	}
	// The rest (under a chunk) opens the batch, which the next rows fill.
	if s.batch == nil {
		s.batch = make([]parquet.Row, rowBatch)
	}
	s.k = copy(s.batch, held[whole:])
	return nil
}

// startBatches chooses the encodings of a stream of batches from its
// sample (s.sampleSegs), opens the writers and writes the sample's rows:
// the page writers' columns at once (a direct stream's at Finish, from
// s.sampleSegs), parquet-go's in whole chunks of chunkRows, the rest
// (under a chunk) carried, as they would have been written had the
// writers been open from the start.
func (s *RowGroupStream) startBatches() error {
	segs := s.sampleSegs
	mask, err := s.e.dictionaryRows(segs)
	if err != nil {
		return err
	}
	if err := s.openBatches(mask); err != nil {
		return err
	}
	if !s.direct {
		s.sampleSegs, s.sample = nil, nil
		for c, pw := range s.own {
			if pw == nil {
				continue
			}
			for k, seg := range segs {
				if err := pw.writeRows(seg, c, 0, seg.NumRows()); err != nil {
					s.err = fmt.Errorf("encode row group: column %d, sample part %d: %w", c, k, err)
					return s.err
				}
			}
		}
	}
	whole := s.sampled / chunkRows * chunkRows
	for j, cw := range s.columnWriters() {
		c := s.pgo[j]
		vals := s.vals[:0]
		for _, seg := range segs {
			vals = seg.AppendValues(vals, c, 0, seg.NumRows())
		}
		for lo := 0; lo < whole; lo += chunkRows {
			if _, err := cw.WriteRowValues(vals[lo : lo+chunkRows]); err != nil {
				s.err = fmt.Errorf("encode row group: column %d, rows %d to %d: %w", c, lo, lo+chunkRows-1, err)
				return s.err
			}
		}
		// The rows of a partial chunk wait for the next piece; their
		// values point into the sample's batches, so they are cloned.
		s.carry[c] = append(s.carry[c][:0], vals[whole:]...)
		cloneValues(s.carry[c])
		clear(vals[:cap(vals)])
		s.vals = vals[:0]
	}
	s.carryRows = s.sampled - whole
	return nil
}

// hold moves the batch's rows to held, counting them into the sample,
// and starts the writer once the sample is complete.
func (s *RowGroupStream) hold() error {
	rows := s.batch[:s.k]
	if !s.sampleDone {
		take, done, bytes := sampleCut(s.sampled, s.sampleBytes, len(rows), func(i int) int64 { return rowBytes(rows[i]) })
		s.sampled, s.sampleBytes, s.sampleDone = s.sampled+take, bytes, done
	}
	for _, row := range rows {
		s.held = append(s.held, row.Clone())
	}
	clear(rows)
	s.k = 0
	if s.sampleDone {
		return s.start()
	}
	return nil
}

// rowBytes returns the bytes of row's values (see valueBytes).
func rowBytes(row parquet.Row) int64 {
	var n int64
	for i := range row {
		n += valueBytes(&row[i])
	}
	return n
}

// sampleBatches takes the rows of parts into the sample (s.sampleSegs)
// until it is complete, then starts the writers and returns the parts'
// rows not taken; it returns nil when every row was taken. The sample's
// rows are read where they are; those of a call that does not complete it
// are copied for the next (s.sample), unless the stream is direct, whose
// caller holds its parts until Finish.
func (s *RowGroupStream) sampleBatches(parts []columnar.Rows) ([]columnar.Rows, error) {
	kept := len(s.sampleSegs)
	for k, part := range parts {
		n := part.NumRows()
		m := min(n, DictionarySampleRows-s.sampled)
		sizes, err := sampleRowBytes(s.sizes, part, m, &s.chunk)
		if err != nil {
			return nil, err
		}
		s.sizes = sizes
		take, done, bytes := sampleCut(s.sampled, s.sampleBytes, m, func(i int) int64 { return s.sizes[i] })
		s.sampled, s.sampleBytes, s.sampleDone = s.sampled+take, bytes, done
		s.n += int64(take)
		if take > 0 {
			s.sampleSegs = append(s.sampleSegs, columnar.SliceRows(part, 0, take))
		}
		if !done {
			continue
		}
		if err := s.start(); err != nil {
			return nil, err
		}
		var rest []columnar.Rows
		if take < n {
			rest = append(rest, columnar.SliceRows(part, take, n))
		}
		return append(rest, parts[k+1:]...), nil
	}
	if !s.direct && len(s.sampleSegs) > kept {
		sample, err := appendSample(s.sample, s.sampleSegs[kept:])
		if err != nil {
			return nil, err
		}
		s.sample = sample
		s.sampleSegs = append(s.sampleSegs[:0], s.sample)
	}
	return nil, nil
}

// cloneValues makes vals own their bytes: those of BYTE_ARRAY and
// FIXED_LEN_BYTE_ARRAY values are copied into one new buffer (rather than
// one each, as parquet.Value.Clone does), the others cloned.
func cloneValues(vals []parquet.Value) {
	n := 0
	for i := range vals {
		if k := vals[i].Kind(); !vals[i].IsNull() && (k == parquet.ByteArray || k == parquet.FixedLenByteArray) {
			n += len(vals[i].ByteArray())
		}
	}
	buf := make([]byte, 0, n)
	for i := range vals {
		v := &vals[i]
		if v.IsNull() {
			continue
		}
		switch v.Kind() {
		case parquet.ByteArray:
			at := len(buf)
			buf = append(buf, v.ByteArray()...)
			*v = parquet.ByteArrayValue(buf[at:len(buf):len(buf)]).Level(v.RepetitionLevel(), v.DefinitionLevel(), v.Column())
		case parquet.FixedLenByteArray:
			at := len(buf)
			buf = append(buf, v.ByteArray()...)
			*v = parquet.FixedLenByteArrayValue(buf[at:len(buf):len(buf)]).Level(v.RepetitionLevel(), v.DefinitionLevel(), v.Column())
		default:
			*v = v.Clone()
		}
	}
}

// openBatches opens the writers of a stream of batches whose columns c
// with dict[c] are dictionary encoded (dict may be nil): splitdata's page
// writer for the columns it covers (see RowGroupEncoder.ownColumn) and
// parquet-go's for the others.
func (s *RowGroupStream) openBatches(dict []bool) error {
	e := s.e
	if !e.auto && e.opts.plainDictionary() {
		dict = make([]bool, len(e.leaves))
		for c := range dict {
			dict[c] = e.leaves[c].kind == parquet.ByteArray
		}
	}
	var own []*pageWriter
	var mask []bool
	if !e.noPageWriter {
		for c := range e.leaves {
			if e.ownColumn(c) {
				if own == nil {
					own, mask = make([]*pageWriter, len(e.leaves)), make([]bool, len(e.leaves))
				}
				pw := e.newPageWriter(c, e.codec, dict != nil && dict[c], s.direct)
				if s.spool != nil && !s.direct {
					// Each page moves to the spool once written, from a
					// buffer of a page kept from row group to row group.
					pw.reservePage()
					pw.moved = func() error { return s.drainColumn(c, pw) }
				}
				own[c], mask[c] = pw, true
			}
		}
	}
	s.pgo = s.pgo[:0]
	for c := range e.leaves {
		if own == nil || own[c] == nil {
			s.pgo = append(s.pgo, c)
		}
	}
	var config *parquet.WriterConfig
	var err error
	switch {
	case own == nil && !e.auto:
		config = e.config
	case own == nil:
		config, err = e.configFor(dict)
	case len(s.pgo) > 0:
		config, err = e.subConfig(dict, mask)
	}
	if err != nil {
		s.err = fmt.Errorf("encode row group: %w", err)
		return s.err
	}
	s.own = own
	if config != nil {
		return s.open(config)
	}
	return nil
}

// columnWriters returns the column writers of parquet-go's writer, those
// of the columns s.pgo lists; none when it is not open.
func (s *RowGroupStream) columnWriters() []*parquet.ColumnWriter {
	if s.w == nil {
		return nil
	}
	return s.w.ColumnWriters()
}

// finishOwn finishes a row group some of whose columns splitdata's page
// writer wrote, and joins them with parquet-go's. A direct stream's page
// writers write their columns here: the sample's rows (sampleSegs), then
// the rest of the rows.
func (s *RowGroupStream) finishOwn() (*EncodedRowGroup, error) {
	if s.n == 0 {
		return &EncodedRowGroup{opts: s.e.opts, shape: s.e.shape}, nil
	}
	var sub []byte
	if s.w != nil {
		if err := s.w.Close(); err != nil {
			return nil, fmt.Errorf("encode row group of %d rows: %w", s.n, err)
		}
		sub = s.buf.Bytes()
	}
	place := func(c int, rg []byte) ([]byte, *ownChunk, error) {
		pw := s.own[c]
		if s.direct {
			pw.data, pw.base = rg, len(rg)
			for k, seg := range s.sampleSegs {
				if err := pw.writeRows(seg, c, 0, seg.NumRows()); err != nil {
					return rg, nil, fmt.Errorf("column %d, sample part %d: %w", c, k, err)
				}
			}
			for k, part := range s.rest {
				if err := pw.writeRows(part, c, 0, part.NumRows()); err != nil {
					return rg, nil, fmt.Errorf("column %d, part %d: %w", c, k, err)
				}
			}
		}
		return pw.finishInto(rg)
	}
	g, err := s.e.assemble(s.own, place, sub, s.n)
	for c, pw := range s.own {
		if pw != nil {
			s.e.releasePageWriter(c, pw) // assemble placed their chunks
		}
	}
	s.own, s.rest, s.sampleSegs, s.sample = nil, nil, nil, nil
	return s.assembled(g, err)
}
