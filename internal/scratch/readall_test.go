package scratch_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/internal/scratch"
)

// shortFile is a File whose ReadAt gives at most n bytes, ending them
// with err, whatever its Size says.
type shortFile struct {
	scratch.File
	data []byte
	n    int
	err  error
}

func (f shortFile) Size() int64  { return int64(len(f.data)) }
func (f shortFile) Name() string { return "spill-7" }
func (f shortFile) ReadAt(p []byte, off int64) (int, error) {
	k := copy(p, f.data[off:min(int(off)+f.n, len(f.data))])
	return k, f.err
}

// ReadAll refuses a file that gives fewer bytes than its size, naming it,
// rather than returning the rest as zeros; a whole read ending with EOF
// is whole.
func TestReadAllShort(t *testing.T) {
	data := []byte("0123456789")
	for _, tc := range []struct {
		name    string
		n       int
		err     error
		wantErr error
	}{
		{"whole", 10, nil, nil},
		{"whole with EOF", 10, io.EOF, nil},
		{"short with EOF", 6, io.EOF, io.ErrUnexpectedEOF},
		{"short without error", 6, nil, io.ErrUnexpectedEOF},
		{"failed", 0, errors.ErrUnsupported, errors.ErrUnsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := scratch.ReadAll(shortFile{data: data, n: tc.n, err: tc.err})
			if tc.wantErr == nil {
				if err != nil || string(got) != string(data) {
					t.Fatalf("ReadAll = %q, %v; want %q", got, err, data)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) || got != nil {
				t.Fatalf("ReadAll = %q, %v; want %v", got, err, tc.wantErr)
			}
			if tc.err != errors.ErrUnsupported && !strings.Contains(err.Error(), "spill-7") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}
