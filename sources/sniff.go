package sources

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// sniffBytes is how much of a file's start [looksLike] reads to tell
// text from binary data.
const sniffBytes = 4096

// formatNames are the input formats as messages name them.
var formatNames = map[string]string{
	FormatParquet: "Parquet",
	FormatArrow:   "Arrow IPC",
	FormatCSV:     "CSV",
	FormatJSONL:   "JSON Lines",
}

// looksLike returns the input format whose marks the size bytes of r
// clearly bear, and the marks, or "" when they bear none: Parquet's magic
// PAR1 at both ends, Arrow IPC's ARROW1 (file format) or continuation
// marker (stream format) at the start, or text (valid UTF-8, no NUL byte
// in the first sniffBytes), JSON Lines when it starts with '{'. Only a
// file that failed to open in another format is sniffed, so a guess costs
// nothing when all is well.
func looksLike(r io.ReaderAt, size int64) (format, marks string) {
	head := make([]byte, min(size, sniffBytes))
	if err := readFull(r, head, 0); err != nil || len(head) == 0 {
		return "", ""
	}
	var tail [4]byte
	if size >= 12 {
		if err := readFull(r, tail[:], size-4); err != nil {
			return "", ""
		}
	}
	switch {
	case size >= 12 && string(head[:4]) == "PAR1" && string(tail[:]) == "PAR1":
		return FormatParquet, "PAR1 at both ends"
	case bytes.HasPrefix(head, []byte(arrowMagic)):
		return FormatArrow, arrowMagic + " at its start"
	case size >= 8 && bytes.HasPrefix(head, []byte{0xff, 0xff, 0xff, 0xff}):
		return FormatArrow, "an IPC stream's continuation marker at its start"
	case bytes.IndexByte(head, 0) >= 0 || !validText(head, int64(len(head)) < size):
		return "", ""
	case bytes.HasPrefix(bytes.TrimLeft(head, " \t\r\n\ufeff"), []byte("{")):
		return FormatJSONL, "text starting with {"
	}
	return FormatCSV, "text"
}

// validText reports whether b is valid UTF-8, allowing a rune cut at its
// end when cut (b is the start of longer data).
func validText(b []byte, cut bool) bool {
	if utf8.Valid(b) {
		return true
	}
	for i := 1; cut && i < utf8.UTFMax && i < len(b); i++ {
		if utf8.Valid(b[:len(b)-i]) {
			return true
		}
	}
	return false
}

// withFormatHint adds to err, the error of opening the size bytes of r as
// format, what the data looks like when it clearly belongs to another
// format, and the --input-format that reads it: a Parquet file named .csv,
// a CSV file named .parquet. Text is named only for a binary format
// (Parquet, Arrow): text that fails as CSV or JSON Lines is most often
// just bad. Errors other than [ErrCorrupt] and [ErrUnsupported] (I/O,
// a file that is not a regular one) are returned as they are.
func withFormatHint(err error, format string, r io.ReaderAt, size int64) error {
	if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupported) {
		return err
	}
	got, marks := looksLike(r, size)
	binary := format == FormatParquet || format == FormatArrow
	if got == "" || got == format || (!binary && got != FormatParquet && got != FormatArrow) {
		return err
	}
	hint := fmt.Sprintf("the file looks like %s (%s): read it with --input-format %s", formatNames[got], marks, got)
	if ie, ok := err.(*InputError); ok {
		with := *ie
		with.Err = fmt.Errorf("%w; %s", ie.Err, hint)
		return &with
	}
	return fmt.Errorf("%w; %s", err, hint)
}

// withFileFormatHint is [withFormatHint] for the file at path, opened
// again (as a source opens it: never blocking on a named pipe) only when
// err may have a hint.
func withFileFormatHint(err error, format, path string) error {
	if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupported) {
		return err
	}
	f, stamp, ferr := openFile(path)
	if ferr != nil {
		return err
	}
	defer f.Close()
	return withFormatHint(err, format, f, stamp.opened.Size())
}
