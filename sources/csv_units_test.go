package sources

// CSV units: how a file is cut into units of records, read side by side,
// and what a unit does when its bytes change.

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// genCSV returns a CSV file of n records after a header, with quoted
// fields holding delimiters and newlines, blank lines and CRLF endings
// here and there, and the records as encoding/csv reads the whole file.
func genCSV(n int) (string, [][]string) {
	var b strings.Builder
	b.WriteString("id,name,x\n")
	var want [][]string
	for i := range n {
		name := "n" + strconv.Itoa(i)
		switch i % 7 {
		case 1:
			b.WriteString("\n") // a blank line before the record
		case 3:
			name = fmt.Sprintf("multi\nline %d, \"quoted\"", i)
		}
		x := strconv.FormatFloat(float64(i)/4, 'g', -1, 64)
		end := "\n"
		if i%5 == 2 {
			end = "\r\n"
		}
		fmt.Fprintf(&b, "%d,%s,%s%s", i, quoteCSV(name), x, end)
		want = append(want, []string{strconv.Itoa(i), name, x})
	}
	return b.String(), want
}

// quoteCSV quotes s when it needs it.
func quoteCSV(s string) string {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// csvRecords reads data with encoding/csv in one go: the reference the
// unit-by-unit reads are compared with.
func csvRecords(t testing.TB, data string) [][]string {
	r := csv.NewReader(strings.NewReader(data))
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs[1:] // without the header
}

func TestCSVUnits(t *testing.T) {
	data, want := genCSV(100)
	if ref := csvRecords(t, data); !reflect.DeepEqual(ref, want) {
		t.Fatalf("generated file does not read back as generated")
	}
	for _, unit := range []int{1, 2, 7, 99, 100, 101, 65536} {
		for _, batch := range []int{1, 3, 64} {
			t.Run(fmt.Sprintf("unit=%d/batch=%d", unit, batch), func(t *testing.T) {
				withUnitRows(t, unit)
				c, err := openCSVString(data, CSVOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if got, wantUnits := c.NumUnits(), (100+unit-1)/unit; got != wantUnits {
					t.Errorf("NumUnits = %d, want %d", got, wantUnits)
				}
				var sum int64
				for i := range c.NumUnits() {
					n := c.UnitNumRows(i)
					if n > int64(unit) || i < c.NumUnits()-1 && n != int64(unit) {
						t.Errorf("unit %d has %d rows, unit size %d", i, n, unit)
					}
					sum += n
				}
				if sum != 100 || c.NumRows() != 100 {
					t.Errorf("units hold %d rows, NumRows %d, want 100", sum, c.NumRows())
				}
				got, err := readAllText(t, c, batch)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("rows differ from encoding/csv's reading of the whole file")
				}
			})
		}
	}
}

// TestCSVUnitsDefaultSize reads a file of more records than a unit holds at
// the default size.
func TestCSVUnitsDefaultSize(t *testing.T) {
	n := 65536*2 + 10
	if testing.Short() {
		n = 65536 + 1
	}
	var b strings.Builder
	b.WriteString("i\n")
	for i := range n {
		b.WriteString(strconv.Itoa(i))
		b.WriteByte('\n')
	}
	c, err := openCSVString(b.String(), CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.NumUnits(), (n+65535)/65536; got != want {
		t.Fatalf("NumUnits = %d, want %d", got, want)
	}
	next := int64(0)
	for i := range c.NumUnits() {
		if i < c.NumUnits()-1 && c.UnitNumRows(i) != 65536 {
			t.Errorf("unit %d: %d rows, want 65536", i, c.UnitNumRows(i))
		}
		err := c.ReadUnit(t.Context(), i, 1000, func(rows []parquet.Row) error {
			for _, row := range rows {
				if got := row[0].Int64(); got != next {
					return fmt.Errorf("row %d holds %d", next, got)
				}
				next++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if next != int64(n) {
		t.Errorf("read %d rows, want %d", next, n)
	}
}

// TestCSVErrorLineInLaterUnit checks that lines are counted from the start
// of the file, not of the unit, across multi-line records and blank lines.
func TestCSVErrorLineInLaterUnit(t *testing.T) {
	data, _ := genCSV(50)
	// The bad value goes on the last line; count its line independently.
	data += "x,bad,1\n"
	line := strings.Count(data, "\n")
	for _, unit := range []int{1, 3, 10, 1000} {
		withUnitRows(t, unit)
		c, err := openCSVString(data, CSVOptions{InferRows: 10})
		if err != nil {
			t.Fatal(err)
		}
		_, err = readAllText(t, c, 4)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Line != int64(line) || ie.Column != "id" {
			t.Errorf("unit size %d: error %v, want one at line %d, column id", unit, err, line)
		}
	}
}

func TestCSVConcurrentUnits(t *testing.T) {
	withUnitRows(t, 16)
	data, want := genCSV(500)
	c, err := openCSVString(data, CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	all := readUnitsConcurrently(t, c)
	if !reflect.DeepEqual(all, want) {
		t.Errorf("rows read concurrently differ from the file's")
	}
}

func TestCSVReadUnitStops(t *testing.T) {
	c, err := openCSVString("a\n1\n2\n3\n", CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkReadUnitStops(t, c)
}

// TestCSVBorrowedStrings checks that string values of one batch are not
// overwritten while the batch is being handled.
func TestCSVBorrowedStrings(t *testing.T) {
	c, err := openCSVString("s\naaaa\nbbbb\ncccc\ndddd\neeee\n", CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = c.ReadUnit(t.Context(), 0, 2, func(rows []parquet.Row) error {
		for _, row := range rows {
			got = append(got, string(row[0].ByteArray()))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"aaaa", "bbbb", "cccc", "dddd", "eeee"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestOpenCSVFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.csv")
	data := "a,b\n1,x\n2,y\n"
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := OpenCSVFile(path, CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Name() != path || c.Size() != int64(len(data)) || c.NumRows() != 2 || c.KeyValueMetadata() != nil {
		t.Errorf("Name %q Size %d NumRows %d KeyValueMetadata %v", c.Name(), c.Size(), c.NumRows(), c.KeyValueMetadata())
	}
	if err := c.CheckUnchanged(); err != nil {
		t.Fatalf("CheckUnchanged on an untouched file: %v", err)
	}
	if err := os.WriteFile(path, []byte(data+"3,z\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.CheckUnchanged(); !errors.Is(err, ErrChanged) {
		t.Errorf("CheckUnchanged after a write = %v, want ErrChanged", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}

	if _, err := OpenCSVFile(t.TempDir(), CSVOptions{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("OpenCSVFile of a directory = %v, want ErrUnsupported", err)
	}
}

// TestCSVChangedUnderneath checks that a unit whose bytes changed after
// the scan is refused, not read as different rows.
func TestCSVChangedUnderneath(t *testing.T) {
	withUnitRows(t, 2)
	buf := []byte("a\n1\n2\n3\n4\n")
	c, err := OpenCSV("t.csv", bytesReaderAt(buf), int64(len(buf)), CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	copy(buf[2:], "1\n\n\n3\n4\n") // unit 0 now holds one record
	_, err = readAllText(t, c, 10)
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("read of a changed file = %v, want ErrCorrupt", err)
	}
}

// bytesReaderAt reads a byte slice that the test may change.
type bytesReaderAt []byte

func (b bytesReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
