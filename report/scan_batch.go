package report

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"slices"
	"strconv"

	metro "github.com/dgryski/go-metro"
	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// batchChunk is how many rows of a batch are read at a time.
const batchChunk = 1024

// scanBatch adds the rows of r (a batch, or rows picked out of batches),
// numbered from at.firstRow in their file, to a. It reads a chunk of rows
// of each column at a time ([columnar.Chunk]) and walks their typed
// values, each column's in row order, so every accumulator sees what
// scanRows gives it for the same rows read one by one, and the figures
// are the same. Picked byte arrays are read where their batches hold
// them ([columnar.Chunk.ReadView]), not copied, so the scan does not
// fail however many bytes a chunk's rows have.
func (s *scanner) scanBatch(r columnar.Rows, a *acc, at place, rs *rowScan) {
	ncols := len(s.cols)
	if len(rs.chunks) != ncols {
		rs.chunks = make([]columnar.Chunk, ncols)
		rs.vh, rs.vhOK = make([][]uint64, ncols), make([]bool, ncols)
		rs.nums = make([][]float64, ncols)
		rs.hc = make([]*hashCache, ncols)
	}
	n := r.NumRows()
	row := at.firstRow
	for lo := 0; lo < n; lo += batchChunk {
		hi := min(lo+batchChunk, n)
		for c := range ncols {
			if at.leak || s.want[c] || c == s.label {
				rs.chunks[c].ReadView(r, c, lo, hi)
			}
		}
		clear(rs.vhOK)
		a.rows += int64(hi - lo)
		rs.numCols = rs.numCols[:0]
		for c := range ncols {
			if s.want[c] {
				s.addChunk(&a.cols[c], c, &rs.chunks[c], rs)
			}
		}
		s.addChunkNumbers(a, rs)
		if s.label >= 0 {
			s.addLabels(a, &rs.chunks[s.label], rs)
		}
		if at.leak {
			if s.fastRows {
				s.addChunkHashes(a, hi-lo, rs)
			}
			if !s.fastRows || len(s.groups) > 0 {
				s.addChunkRecords(a, at, row, hi-lo, rs)
			}
		}
		row += uint64(hi - lo)
	}
	// The chunks wait in rs for the next batch: they must not keep this
	// one's memory alive.
	for c := range rs.chunks {
		rs.chunks[c].Release()
	}
}

// addChunk adds the values of a chunk of column c to ca, as addValue
// adds them one by one: the finite numbers of a number column are put in
// rs.nums[c], in row order, for addChunkNumbers.
func (s *scanner) addChunk(ca *colAcc, c int, ch *columnar.Chunk, rs *rowScan) {
	col := &s.cols[c]
	ca.values += int64(ch.N)
	switch col.kind {
	case KindNumber, KindTime:
	case KindBool:
		for k := range ch.N {
			switch {
			case ch.Null(k):
				ca.nulls++
			case ch.Fixed[k] != 0:
				ca.cnt.addHash(boolTrueHash, boolTrue)
			default:
				ca.cnt.addHash(boolFalseHash, boolFalse)
			}
		}
		return
	default:
		// The values' metro hashes, which the leak check's row hashes
		// take too.
		ca.nulls += ca.cnt.addChunk(ch, rs.valueHashes(c))
		return
	}
	nums := rs.nums[c][:0]
	scale := col.scale
	switch ch.Kind {
	case parquet.Int64:
		vals := ch.Int64s()
		if ch.Defs == nil {
			nums = slices.Grow(nums, len(vals))[:len(vals)]
			for k, v := range vals {
				nums[k] = float64(v) * scale
			}
			break
		}
		// Nulls taken out with no branch: a column's nulls fall at
		// random rows, where a branch on each is mispredicted.
		defs, maxDef := ch.Defs[:len(vals)], ch.MaxDef
		buf := slices.Grow(nums, len(vals))[:len(vals)]
		n := 0
		for k, v := range vals {
			buf[n] = float64(v) * scale
			n += 1 - isBelow(defs[k], maxDef)
		}
		ca.nulls += int64(len(vals) - n)
		nums = buf[:n]
	case parquet.Int32:
		vals := ch.Int32s()
		for k, v := range vals {
			if ch.Null(k) {
				ca.nulls++
				continue
			}
			nums = append(nums, float64(v)*scale)
		}
	case parquet.Double:
		vals := ch.Float64s()
		buf := slices.Grow(nums, len(vals))[:len(vals)]
		n := 0
		if ch.Defs == nil {
			for _, f := range vals {
				buf[n] = f * scale
				n += isFinite(f)
			}
			ca.nans += int64(len(vals) - n)
			nums = buf[:n]
			break
		}
		defs, maxDef := ch.Defs[:len(vals)], ch.MaxDef
		nulls := 0
		for k, f := range vals {
			buf[n] = f * scale
			null := isBelow(defs[k], maxDef)
			nulls += null
			n += isFinite(f) &^ null
		}
		ca.nulls += int64(nulls)
		ca.nans += int64(len(vals) - n - nulls)
		nums = buf[:n]
	case parquet.Float:
		vals := ch.Float32s()
		for k, v := range vals {
			if ch.Null(k) {
				ca.nulls++
				continue
			}
			f := float64(v)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				ca.nans++
				continue
			}
			nums = append(nums, f*scale)
		}
	}
	rs.nums[c] = nums
	rs.numCols = append(rs.numCols, c)
}

// addChunkNumbers adds the finite numbers of a chunk of each number
// column (rs.nums, addChunk) to its accumulator in a, as addNumber adds
// them one by one: the moments of up to maxInterleave columns at once
// (addMoments), then the sketches.
func (s *scanner) addChunkNumbers(a *acc, rs *rowScan) {
	for cols := rs.numCols; len(cols) > 0; {
		k := min(len(cols), maxInterleave)
		var cas [maxInterleave]*colAcc
		var nums [maxInterleave][]float64
		for j, c := range cols[:k] {
			cas[j], nums[j] = &a.cols[c], rs.nums[c]
		}
		addMoments(cas[:k], nums[:k])
		cols = cols[k:]
	}
	for _, c := range rs.numCols {
		a.cols[c].sk.addFinite(rs.nums[c])
	}
}

// The counted keys of booleans, as addValue counts them, and their
// hashes.
var (
	boolTrue      = []byte{1}
	boolFalse     = []byte{0}
	boolTrueHash  = metro.Hash64(boolTrue, hashSeed)
	boolFalseHash = metro.Hash64(boolFalse, hashSeed)
)

// chunkBytes returns the bytes of row k of a byte array, fixed-length
// byte array or INT96 chunk, as parquet.Value.ByteArray gives them.
func chunkBytes(ch *columnar.Chunk, k int) []byte {
	if ch.Width == 0 {
		return ch.Value(k)
	}
	w := ch.Width
	return ch.Fixed[w*k : w*k+w : w*k+w]
}

// addLabels counts the label values of a chunk, as addLabel does.
func (s *scanner) addLabels(a *acc, ch *columnar.Chunk, rs *rowScan) {
	kind := s.labelCol.kind
	for k := range ch.N {
		if ch.Null(k) {
			a.labelNulls++
			continue
		}
		b := rs.lbuf[:0]
		switch {
		case kind == KindBool:
			b = strconv.AppendBool(b, ch.Fixed[k] != 0)
		case kind != KindNumber && kind != KindTime:
			b = append(b, chunkBytes(ch, k)...)
		case ch.Kind == parquet.Int64:
			b = strconv.AppendInt(b, int64(binary.LittleEndian.Uint64(ch.Fixed[8*k:])), 10)
		case ch.Kind == parquet.Int32:
			b = strconv.AppendInt(b, int64(int32(binary.LittleEndian.Uint32(ch.Fixed[4*k:]))), 10)
		case ch.Kind == parquet.Double:
			b = strconv.AppendFloat(b, math.Float64frombits(binary.LittleEndian.Uint64(ch.Fixed[8*k:])), 'g', -1, 64)
		case ch.Kind == parquet.Float:
			b = strconv.AppendFloat(b, float64(math.Float32frombits(binary.LittleEndian.Uint32(ch.Fixed[4*k:]))), 'g', -1, 64)
		}
		rs.lbuf = b
		if kind != KindBool && kind != KindNumber && kind != KindTime {
			// The column's bytes: their hash is the column's.
			a.label.addHash(rs.valueHashes(s.label)[k], b)
			continue
		}
		a.label.add(b)
	}
}

// addChunkHashes adds the fast hashes of the n rows whose chunks are in
// rs to a.hashes, a column at a time (see rowhash.go).
func (s *scanner) addChunkHashes(a *acc, n int, rs *rowScan) {
	at := len(a.hashes)
	a.hashes = slices.Grow(a.hashes, n)[:at+n]
	hs := a.hashes[at:]
	for k := range hs {
		hs[k] = rowSeed
	}
	for c := range rs.chunks {
		ch := &rs.chunks[c]
		var vh []uint64
		if ch.Kind != parquet.Boolean && ch.Width != 8 && ch.Width != 4 || ch.Kind == parquet.FixedLenByteArray {
			vh = rs.valueHashes(c)
		}
		addRowStates(hs, ch, vh)
	}
	if testFastRowHash != nil {
		for k, h := range hs {
			hs[k] = testFastRowHash(h)
		}
	}
}

// addChunkRecords adds the leak records of n rows whose chunks are in
// rs, the first numbered row in its file: the rows' SHA-256 unless they
// are hashed fast, and their group values'. The canonical bytes of the
// rows (each value's as appendCanonical encodes it, in column order) are
// built column by column: every row's length first, then each column
// writes its values at every row's place in one buffer.
func (s *scanner) addChunkRecords(a *acc, at place, row uint64, n int, rs *rowScan) {
	if n == 0 {
		return
	}
	if s.fastRows {
		for k := range n {
			rs.gbuf = s.appendChunkGroup(rs.gbuf[:0], rs, k)
			s.addGroupRecord(a, at, row+uint64(k), rs.gbuf)
		}
		return
	}
	ends := growInts(rs.ends, n)
	clear(ends)
	for c := range rs.chunks {
		ch := &rs.chunks[c]
		hdr := uvarintLen(uint64(c)) + 4
		switch {
		case ch.Kind == parquet.ByteArray:
			for k := range n {
				if ch.Null(k) {
					ends[k] += hdr
					continue
				}
				l := len(ch.Value(k))
				ends[k] += hdr + uvarintLen(uint64(l)) + l
			}
		default:
			w := ch.Width
			if ch.Kind == parquet.FixedLenByteArray {
				w += uvarintLen(uint64(w))
			}
			if ch.Defs == nil {
				for k := range n {
					ends[k] += hdr + w
				}
				continue
			}
			for k := range n {
				ends[k] += hdr
				if ch.Defs[k] == ch.MaxDef {
					ends[k] += w
				}
			}
		}
	}
	total := 0
	for k, l := range ends {
		total += l
		ends[k] = total
	}
	rs.ends = ends
	buf := growBytes(rs.buf, total)
	rs.buf = buf
	at0 := growInts(rs.at, n)
	rs.at = at0
	at0[0] = 0
	copy(at0[1:], ends[:n-1])
	for c := range rs.chunks {
		writeCanonical(buf, at0, c, &rs.chunks[c])
	}
	start := 0
	for k := range n {
		rs.gbuf = rs.gbuf[:0]
		if len(s.groups) > 0 {
			rs.gbuf = s.appendChunkGroup(rs.gbuf, rs, k)
		}
		s.addRecord(a, at, row+uint64(k), buf[start:ends[k]], rs.gbuf)
		start = ends[k]
	}
}

// writeCanonical writes the canonical bytes of every row of ch (column
// c) at buf[at[k]:], and moves each at[k] past them.
func writeCanonical(buf []byte, at []int, c int, ch *columnar.Chunk) {
	// A value starts with its column, its repetition level (0), its
	// definition level, its kind plus one, and 1 if not null.
	var hdr [binary.MaxVarintLen64]byte
	h := binary.PutUvarint(hdr[:], uint64(c))
	kind := byte(ch.Kind + 1)
	null := func(k int) {
		p := at[k]
		p += copy(buf[p:], hdr[:h])
		// A null's kind is parquet.Value's null kind (-1) plus one.
		buf[p], buf[p+1], buf[p+2], buf[p+3] = 0, ch.Defs[k], 0, 0
		at[k] = p + 4
	}
	defined := func(k int) int {
		p := at[k]
		if h == 1 {
			buf[p] = hdr[0]
			p++
		} else {
			p += copy(buf[p:], hdr[:h])
		}
		buf[p], buf[p+1], buf[p+2], buf[p+3] = 0, ch.MaxDef, kind, 1
		return p + 4
	}
	switch w := ch.Width; {
	case ch.Kind == parquet.ByteArray:
		for k := range ch.N {
			if ch.Null(k) {
				null(k)
				continue
			}
			p := defined(k)
			v := ch.Value(k)
			if len(v) < 0x80 {
				buf[p] = byte(len(v))
				p++
			} else {
				p += binary.PutUvarint(buf[p:], uint64(len(v)))
			}
			at[k] = p + copy(buf[p:], v)
		}
	case w == 8:
		for k := range ch.N {
			if ch.Null(k) {
				null(k)
				continue
			}
			p := defined(k)
			binary.LittleEndian.PutUint64(buf[p:], binary.LittleEndian.Uint64(ch.Fixed[8*k:]))
			at[k] = p + 8
		}
	case w == 4:
		for k := range ch.N {
			if ch.Null(k) {
				null(k)
				continue
			}
			p := defined(k)
			binary.LittleEndian.PutUint32(buf[p:], binary.LittleEndian.Uint32(ch.Fixed[4*k:]))
			at[k] = p + 4
		}
	default:
		for k := range ch.N {
			if ch.Null(k) {
				null(k)
				continue
			}
			p := defined(k)
			if ch.Kind == parquet.FixedLenByteArray {
				p += binary.PutUvarint(buf[p:], uint64(w))
			}
			at[k] = p + copy(buf[p:], ch.Fixed[w*k:w*k+w])
		}
	}
}

// appendChunkGroup appends the canonical bytes of row k's group values,
// as appendGroup does.
func (s *scanner) appendChunkGroup(b []byte, rs *rowScan, k int) []byte {
	if len(s.groups) == 1 {
		c := s.groups[0]
		return appendCanonical(b, chunkValue(&rs.chunks[c], c, k))
	}
	for _, c := range s.groups {
		at := len(b)
		b = append(b, 0, 0, 0, 0)
		b = appendCanonical(b, chunkValue(&rs.chunks[c], c, k))
		binary.BigEndian.PutUint32(b[at:], uint32(len(b)-at-4))
	}
	return b
}

// addRecord adds the leak records of a row whose canonical bytes are b
// (its SHA-256), and its group value's gb (none if empty).
func (s *scanner) addRecord(a *acc, at place, row uint64, b, gb []byte) {
	rec := record{kind: kindRow, split: at.split, file: at.file, row: row}
	sum := sha256.Sum256(b)
	copy(rec.hash[:], sum[:16])
	a.recs = append(a.recs, rec)
	s.addGroupRecord(a, at, row, gb)
}

// addGroupRecord adds the leak record of a row's group value, whose
// canonical bytes are gb (none if empty).
func (s *scanner) addGroupRecord(a *acc, at place, row uint64, gb []byte) {
	if len(gb) == 0 {
		return
	}
	rec := record{kind: kindGroup, split: at.split, file: at.file, row: row}
	sum := sha256.Sum256(gb)
	copy(rec.hash[:], sum[:16])
	a.recs = append(a.recs, rec)
}

// uvarintLen is the length of x as a uvarint.
func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// growInts returns b with length n, its contents kept up to n, grown if
// need be.
func growInts(b []int, n int) []int {
	if cap(b) < n {
		return append(b[:cap(b)], make([]int, n-cap(b))...)
	}
	return b[:n]
}

// growBytes returns b with length n, grown if need be.
func growBytes(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n, max(n, 2*cap(b)))
	}
	return b[:n]
}
