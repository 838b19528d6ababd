package sources

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"reflect"
	"testing"
)

// stdReader is the reader csvSplitter replaced: encoding/csv under
// recordLimit. It is the reference the splitter is compared with.
type stdReader struct {
	*csv.Reader
	lim  *recordLimit
	base int64
}

func newStdReader(data []byte, base int64, comma rune) *stdReader {
	lim := &recordLimit{r: bytes.NewReader(data), slack: csvBufferSize}
	cr := csv.NewReader(bufio.NewReaderSize(lim, csvBufferSize))
	cr.Comma = comma
	cr.ReuseRecord = true
	return &stdReader{Reader: cr, lim: lim, base: base}
}

func (r *stdReader) Read() ([]string, error) {
	start := r.InputOffset()
	r.lim.next(start)
	rec, err := r.Reader.Read()
	if err != nil && r.lim.failed || err == nil && r.InputOffset()-start > maxRecordBytes {
		return nil, &recordTooLong{off: r.base + start}
	}
	return rec, err
}

// splitTrace reads every record of data with read, spelling each record,
// its fields' positions, the offset after it and the error that ends
// the reading.
func splitTrace(read func() ([]string, error), pos func(int) (int, int), offset func() int64) []string {
	var out []string
	for range 1 << 16 {
		rec, err := read()
		if err == io.EOF {
			return append(out, "EOF")
		}
		s := fmt.Sprintf("%q", rec)
		for j := range rec {
			l, c := pos(j)
			s += fmt.Sprintf(" %d:%d", l, c)
		}
		if err != nil {
			var tl *recordTooLong
			if errors.As(err, &tl) {
				return append(out, fmt.Sprintf("%s too long at %d", s, tl.off))
			}
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return append(out, fmt.Sprintf("%s error %d %d %d %v", s, pe.StartLine, pe.Line, pe.Column, pe.Err))
			}
			return append(out, s+" error "+err.Error())
		}
		out = append(out, fmt.Sprintf("%s end %d", s, offset()))
	}
	return append(out, "too many records")
}

// compareSplit fails unless the splitter reads data as encoding/csv does.
func compareSplit(t *testing.T, data []byte, comma rune, fields int) {
	t.Helper()
	std := newStdReader(data, 7, comma)
	std.FieldsPerRecord = fields
	want := splitTrace(std.Read, std.FieldPos, std.InputOffset)
	s := newSplitter(bytes.NewReader(data), 7, comma)
	s.FieldsPerRecord = fields
	got := splitTrace(s.Read, s.FieldPos, s.InputOffset)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("split %q (comma %q, fields %d):\ngot  %q\nwant %q", data, comma, fields, got, want)
	}
}

var splitSeeds = []string{
	"a,b\n1,x\n2,y\n", "a,b\r\n\"x,\"\"y\"\"\",1.5\r\n\"multi\nline\",\r\n",
	"\n\r\n\na\n\r", "a\r\r\nb\r", "a,\"b\"c\n", "a,b\"c\n", "\"unterminated\nx\n",
	"a,b\n1\n", "\"\"\n\"a\"\"\"\n", "x\n\"a\nb\"\n\n\"c\",d\ne,f", "a;b\n1;2\n", "é€x€y\n\"€\"€z\n",
	"a\rb,c\n", "\"a\",\"b c\",d\n\"\",x,\"\"\n", "\"a\",\n\"a\"\r\n\"a\"\r", "\"a\"\r\r\n", "\"a\"b,c\n", "a,\"b\"\"c\"\n", "\"a,b\"\"\n", "x,\"y\n", "\"a\"\r\n\"b\r\nc\"\r\n", "\r", "", "\"", "\n\"\n", "a,\"\n\"\"\n\",b\nc,d,e\n",
}

func TestCSVSplit(t *testing.T) {
	for _, data := range splitSeeds {
		for _, comma := range []rune{',', ';', '€'} {
			for _, fields := range []int{0, 1, 2, -1} {
				compareSplit(t, []byte(data), comma, fields)
			}
		}
	}
	data, _ := genCSV(3000)
	compareSplit(t, []byte(data), ',', 3)
}

// TestCSVSplitLongRecords compares the bound on records, at and around
// it, with the reference, over read buffers the records span.
func TestCSVSplitLongRecords(t *testing.T) {
	old := maxRecordBytes
	defer func() { maxRecordBytes = old }()
	long := bytes.Repeat([]byte("x"), 4*csvBufferSize)
	for _, max := range []int64{10, csvBufferSize - 1, 2 * csvBufferSize} {
		maxRecordBytes = max
		for _, data := range [][]byte{
			append(append([]byte("a\n"), long...), "\nb\n"...),
			append(append([]byte("a\n\""), long...), "\"\nb\n"...),
			append(append([]byte("a\n\""), long...), "x\"y\nb\n"...),
			append(append([]byte("a\n"), bytes.Repeat([]byte("\n"), 2*csvBufferSize)...), "b\n"...),
			append([]byte("a\n\"x\"y"), long...),
			long[:max], long[:max+csvBufferSize], long[:max+csvBufferSize+1],
			append(long[:max+csvBufferSize-1:max+csvBufferSize-1], '\n'),
			append(long[:max+csvBufferSize:max+csvBufferSize], '\n'),
		} {
			compareSplit(t, data, ',', 0)
		}
	}
}

// FuzzCSVSplit compares the splitter with encoding/csv on any bytes, with
// a lowered record bound.
func FuzzCSVSplit(f *testing.F) {
	for _, s := range splitSeeds {
		f.Add([]byte(s), byte(0), int8(0), uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, delim byte, fields int8, bound uint8) {
		old := maxRecordBytes
		defer func() { maxRecordBytes = old }()
		if bound > 0 {
			maxRecordBytes = int64(bound)
		}
		comma := []rune{',', ';', '\t', '€'}[delim%4]
		compareSplit(t, data, comma, int(fields%4))
	})
}
