package sources

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"unicode/utf8"
	"unsafe"
)

// The record splitter of CSV inputs. Most records of most files are one
// line whose fields hold no quote, quoted or not: such a record is cut at
// its delimiters in place in the read buffer, its fields handed out as
// strings over that buffer, with no copy and no allocation. Any other
// record (a doubled quote, a line break in a quoted field, a malformed
// field; or every record, for a delimiter of more than one byte) is
// handed whole to encoding/csv: the splitter finds where it ends (the first
// line break after an even number of quotes, which is where encoding/csv
// ends a record it reads without error, and past any error it finds) and
// feeds exactly those bytes to one encoding/csv reader kept for the
// purpose. Records, errors (line, column, what is wrong), line numbers
// and offsets are those of an encoding/csv reader of the same bytes
// (FuzzCSVSplit compares them), and records are bounded as that reader
// is bounded by recordLimit: a record (with the blank lines before it)
// longer than maxRecordBytes is a recordTooLong, reported before more
// than that and a buffer of csvBufferSize is held.

// csvSplitter reads the records of a range of a CSV file. Its methods
// are those of the encoding/csv reader it replaces.
type csvSplitter struct {
	// FieldsPerRecord is encoding/csv's: a record of another number of
	// fields is an error; 0 sets it from the first record.
	FieldsPerRecord int

	r      io.Reader // the range's bytes not yet in buf
	base   int64     // offset of the range in the file
	buf    []byte
	at     int64 // offset, in the range, of buf[0]
	lo, hi int   // buf[lo:hi] is read and not consumed
	eof    bool  // r is exhausted
	rerr   error // r's error, other than io.EOF
	comma  byte  // the delimiter, when it is one byte
	slowly bool  // every record goes to encoding/csv
	line   int   // lines consumed
	fields []string
	// The last record's line and each field's byte in it, when the
	// splitter cut it.
	recLine int
	cols    []int

	// quoted reads the records holding quotes, from the bytes ext feeds
	// it: fed lines so far, numbered by it from 1. The last record came
	// from it when fromQuoted is set; its first line was extFed+1 for it,
	// extLine of the range.
	quoted     *csv.Reader
	ext        extentReader
	fed        int
	fromQuoted bool
	extFed     int
	extLine    int
}

// newSplitter returns a splitter of r, the range starting at byte base of
// the file, of records delimited by comma.
func newSplitter(r io.Reader, base int64, comma rune) *csvSplitter {
	s := &csvSplitter{r: r, base: base, buf: make([]byte, csvBufferSize)}
	if comma < utf8.RuneSelf {
		s.comma = byte(comma)
	} else {
		s.slowly = true
	}
	s.quoted = csv.NewReader(&s.ext)
	s.quoted.Comma = comma
	s.quoted.ReuseRecord = true
	return s
}

// InputOffset returns the offset, in the range, of the end of the last
// record read.
func (s *csvSplitter) InputOffset() int64 { return s.at + int64(s.lo) }

// FieldPos returns the line and the 1-based byte in that line where field
// j of the last record starts, as encoding/csv's FieldPos.
func (s *csvSplitter) FieldPos(j int) (line, column int) {
	if s.fromQuoted {
		l, c := s.quoted.FieldPos(j)
		return s.rangeLine(l), c
	}
	return s.recLine, s.cols[j]
}

// rangeLine returns the line of the range that line l of quoted's last
// record is.
func (s *csvSplitter) rangeLine(l int) int { return l - s.extFed - 1 + s.extLine }

// Read returns the next record, io.EOF after the last, as encoding/csv's
// Read with ReuseRecord set: the fields are valid until the next Read.
func (s *csvSplitter) Read() ([]string, error) {
	start := s.InputOffset()
	limit := start + maxRecordBytes + csvBufferSize // where recordLimit stops a reader
	for {
		nl, err := s.lineEnd(limit)
		if err != nil {
			return nil, s.failed(err, start)
		}
		end := nl + 1
		if nl < 0 {
			if s.lo == s.hi {
				return nil, io.EOF
			}
			end = s.hi
		}
		content := s.buf[s.lo:end]
		if nl >= 0 {
			content = content[:len(content)-1]
		}
		if n := len(content); n > 0 && content[n-1] == '\r' {
			content = content[:n-1] // a CRLF, or a CR before the end
		}
		if len(content) == 0 {
			s.lo = end
			s.line++
			continue // a blank line
		}
		if s.slowly {
			return s.readQuoted(start, limit)
		}
		s.fields, s.cols = s.fields[:0], s.cols[:0]
		if bytes.IndexByte(content, '"') < 0 {
			s.cutPlain(content)
		} else if !s.cutQuoted(content) {
			return s.readQuoted(start, limit)
		}
		s.fromQuoted = false
		s.line++
		s.recLine = s.line
		s.lo = end
		if err := s.countFields(); err != nil {
			return s.fields, err
		}
		if s.InputOffset()-start > maxRecordBytes {
			return nil, &recordTooLong{off: s.base + start}
		}
		return s.fields, nil
	}
}

// cutPlain cuts line, a record's line holding no quote, at its
// delimiters.
func (s *csvSplitter) cutPlain(line []byte) {
	col := 1
	for {
		s.cols = append(s.cols, col)
		i := bytes.IndexByte(line, s.comma)
		if i < 0 {
			s.fields = append(s.fields, unsafe.String(unsafe.SliceData(line), len(line)))
			return
		}
		s.fields = append(s.fields, unsafe.String(unsafe.SliceData(line), i))
		line = line[i+1:]
		col += i + 1
	}
}

// cutQuoted cuts line, a record's line holding quotes, into its fields
// when every quote opens or closes a field that ends on the line and
// holds no quote ("a","b c",d); it returns false, leaving the fields to
// encoding/csv, for anything else: a doubled quote, a field going on to
// the next line, a quote inside an unquoted field, text after a closing
// quote.
func (s *csvSplitter) cutQuoted(line []byte) bool {
	col := 1
	for {
		s.cols = append(s.cols, col)
		if len(line) > 0 && line[0] == '"' {
			i := bytes.IndexByte(line[1:], '"')
			if i < 0 {
				return false
			}
			field, after := line[1:1+i], line[2+i:]
			s.fields = append(s.fields, unsafe.String(unsafe.SliceData(field), len(field)))
			if len(after) == 0 {
				return true
			}
			if after[0] != s.comma {
				return false
			}
			line = after[1:]
			col += i + 3
			continue
		}
		i := bytes.IndexByte(line, s.comma)
		field := line
		if i >= 0 {
			field = line[:i]
		}
		if bytes.IndexByte(field, '"') >= 0 {
			return false
		}
		s.fields = append(s.fields, unsafe.String(unsafe.SliceData(field), len(field)))
		if i < 0 {
			return true
		}
		line = line[i+1:]
		col += i + 1
	}
}

// countFields checks the number of fields of the record the splitter cut,
// as encoding/csv checks it.
func (s *csvSplitter) countFields() error {
	switch {
	case s.FieldsPerRecord == 0:
		s.FieldsPerRecord = len(s.fields)
	case s.FieldsPerRecord > 0 && len(s.fields) != s.FieldsPerRecord:
		return &csv.ParseError{StartLine: s.recLine, Line: s.recLine, Column: 1, Err: csv.ErrFieldCount}
	}
	return nil
}

// failed returns the error of a record starting at start that could not
// be read: a recordTooLong when the reader's bound stopped it.
func (s *csvSplitter) failed(err error, start int64) error {
	if err == errRecordTooLong {
		return &recordTooLong{off: s.base + start}
	}
	return err
}

// lineEnd returns the index in buf of the line break ending the line at
// lo, reading more as needed, or -1 when the range ends before one (the
// line is then buf[lo:hi]). Like an encoding/csv reader under
// recordLimit, it fails with errRecordTooLong when it would read past
// limit to find it.
func (s *csvSplitter) lineEnd(limit int64) (int, error) {
	from := s.lo
	for {
		if i := bytes.IndexByte(s.buf[from:s.hi], '\n'); i >= 0 {
			if s.at+int64(from+i) >= limit {
				return 0, errRecordTooLong
			}
			return from + i, nil
		}
		if s.at+int64(s.hi) >= limit {
			return 0, errRecordTooLong
		}
		if s.eof {
			return -1, nil
		}
		if s.rerr != nil {
			return 0, s.rerr
		}
		read := s.hi
		from = read - s.fill()
	}
}

// fill moves the unconsumed bytes to the start of buf, growing it when
// they fill it (up to the most a record may take), and reads more. It
// returns by how much the indexes into buf moved down.
func (s *csvSplitter) fill() int {
	shift := s.lo
	if shift > 0 {
		s.hi = copy(s.buf, s.buf[s.lo:s.hi])
		s.at += int64(shift)
		s.lo = 0
	}
	if s.hi == len(s.buf) {
		most := int(maxRecordBytes) + 2*csvBufferSize
		grown := make([]byte, max(min(2*len(s.buf), most), len(s.buf)+1))
		s.hi = copy(grown, s.buf[:s.hi])
		s.buf = grown
	}
	for range 100 {
		n, err := s.r.Read(s.buf[s.hi:])
		s.hi += n
		switch {
		case err == io.EOF:
			s.eof = true
		case err != nil:
			s.rerr = err
		}
		if n > 0 || err != nil {
			return shift
		}
	}
	s.rerr = io.ErrNoProgress
	return shift
}

// readQuoted reads the record holding a quote that starts at lo with
// encoding/csv, feeding it the record's bytes: up to the first line break
// after an even number of quotes, or the end of the range, or limit,
// where the bytes end as recordLimit ends them. start is where the read
// started (before blank lines).
func (s *csvSplitter) readQuoted(start, limit int64) ([]string, error) {
	quotes, from, end := 0, s.lo, 0
	endErr := io.EOF
	for {
		if i := bytes.IndexByte(s.buf[from:s.hi], '\n'); i >= 0 {
			nl := from + i
			if s.at+int64(nl) >= limit {
				end, endErr = int(limit-s.at), errRecordTooLong
				break
			}
			quotes += bytes.Count(s.buf[from:nl], quoteByte)
			if quotes%2 == 0 {
				end = nl + 1
				break
			}
			from = nl + 1
			continue
		}
		quotes += bytes.Count(s.buf[from:s.hi], quoteByte)
		if s.at+int64(s.hi) >= limit {
			end, endErr = int(limit-s.at), errRecordTooLong
			break
		}
		if s.eof || s.rerr != nil {
			end = s.hi
			if s.rerr != nil {
				endErr = s.rerr
			}
			break
		}
		read := s.hi
		from = read - s.fill()
	}
	s.ext = extentReader{b: s.buf[s.lo:end], end: endErr}
	s.fromQuoted, s.extFed, s.extLine = true, s.fed, s.line+1
	s.quoted.FieldsPerRecord = s.FieldsPerRecord
	before := s.quoted.InputOffset()
	rec, err := s.quoted.Read()
	if err != nil && s.ext.hit {
		return nil, &recordTooLong{off: s.base + start}
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		moved := *pe
		moved.StartLine, moved.Line = s.rangeLine(pe.StartLine), s.rangeLine(pe.Line)
		return rec, &moved
	}
	if err != nil {
		return nil, err
	}
	used := int(s.quoted.InputOffset() - before)
	if used != end-s.lo {
		return nil, errors.New("internal error: a quoted record ended before the bytes found for it")
	}
	lines := bytes.Count(s.buf[s.lo:end], newlineByte)
	if s.buf[end-1] != '\n' {
		lines++
	}
	s.fed += lines
	s.line += lines
	s.lo = end
	s.FieldsPerRecord = s.quoted.FieldsPerRecord
	if s.InputOffset()-start > maxRecordBytes {
		return nil, &recordTooLong{off: s.base + start}
	}
	return rec, nil
}

var (
	quoteByte   = []byte{'"'}
	newlineByte = []byte{'\n'}
)

// extentReader hands out b, then fails with end; hit records that it
// failed with errRecordTooLong.
type extentReader struct {
	b   []byte
	end error
	hit bool
}

func (e *extentReader) Read(p []byte) (int, error) {
	if len(e.b) == 0 {
		e.hit = e.end == errRecordTooLong
		return 0, e.end
	}
	n := copy(p, e.b)
	e.b = e.b[n:]
	return n, nil
}
