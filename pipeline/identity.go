package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"
	"time"

	"github.com/splitdata/splitdata/sources"
)

// The identity of an input file: what a plan, and a manifest for
// --if-exists skip, record so that a later run can refuse a file that
// changed.

// IdentityBytes is how much of each end of an input a plan hashes: the
// whole of a file up to 2 MiB; beyond that the first MiB (headers, the
// first rows) and the last (a Parquet or Arrow file's footer and last
// rows, a text file's last rows). One rule for every format, and two
// reads per input whatever its size.
const IdentityBytes = 1 << 20

// planInput reads the identity of the input at path, whose size and rows
// info records.
func planInput(info InputInfo) (PlanInput, error) {
	f, err := os.Open(info.Path)
	if err != nil {
		return PlanInput{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return PlanInput{}, err
	}
	if !st.Mode().IsRegular() {
		return PlanInput{}, &sources.InputError{Path: info.Path, RowGroup: -1, Err: fmt.Errorf("%w: not a regular file", sources.ErrUnsupported)}
	}
	sum, err := endsSHA256(f, st.Size())
	if err != nil {
		return PlanInput{}, fmt.Errorf("read %s: %w", info.Path, err)
	}
	size := st.Size()
	if size != info.Size {
		return PlanInput{}, &sources.InputError{Path: info.Path, RowGroup: -1, Err: fmt.Errorf("%w: %d bytes, %d when opened", sources.ErrChanged, size, info.Size)}
	}
	return PlanInput{InputInfo: info, ModTime: st.ModTime().UTC(), EndsSHA256: sum}, nil
}

// endsSHA256 is the SHA-256, in hex, of the first and last
// [IdentityBytes] of the size bytes of r (of all of them when they are at
// most twice that). A range that ends early (the file shrank since it was
// sized) is hashed up to its end, as a plan's later size check names the
// change.
func endsSHA256(r io.ReaderAt, size int64) (string, error) {
	h := sha256.New()
	buf := getHashBuffer()
	defer hashBuffers.put(buf)
	head := min(size, 2*IdentityBytes)
	if size > 2*IdentityBytes {
		head = IdentityBytes
	}
	if err := hashRange(h, r, 0, head, buf); err != nil {
		return "", err
	}
	if size > 2*IdentityBytes {
		if err := hashRange(h, r, size-IdentityBytes, IdentityBytes, buf); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashChunk is how many bytes endsSHA256 reads at a time: a small
// input (the 450 KB files of a many-file dataset) in two reads, not the
// fifteen of io.Copy's 32 KiB.
const hashChunk = 256 << 10

// hashBuffers keeps a few read buffers for the next inputs hashed, so
// that hashing hundreds of inputs does not fault in a fresh buffer for
// each (a sync.Pool empties at every collection); goroutines hashing at
// once beyond those kept allocate their own.
var hashBuffers = newFreeList(4, 0, func(b []byte) int64 { return int64(len(b)) })

// getHashBuffer returns a buffer of hashChunk bytes.
func getHashBuffer() []byte {
	if b := hashBuffers.get(); b != nil {
		return b
	}
	return make([]byte, hashChunk)
}

// hashRange writes to h the n bytes of r from off, read through buf, or
// those up to r's end if it comes first.
func hashRange(h hash.Hash, r io.ReaderAt, off, n int64, buf []byte) error {
	_, err := io.CopyBuffer(h, io.NewSectionReader(r, off, n), buf)
	return err
}

// check reports, as an [*sources.InputError] wrapping
// [sources.ErrChanged], whether the input now is not the file the plan
// saw: another size, row count, modification time or hash of its ends.
// in is the input opened at path (the plan's path resolved).
func (want PlanInput) check(path string, in sources.FileSource) error {
	got, err := planInput(InputInfo{Path: path, Size: in.Size(), Rows: in.NumRows()})
	if err != nil {
		return err
	}
	return want.diff(path, got)
}

// diff reports, as an [*sources.InputError] wrapping [sources.ErrChanged],
// how got, the input named path now, differs from want, what the plan saw.
func (want PlanInput) diff(path string, got PlanInput) error {
	var diffs []string
	if got.Size != want.Size {
		diffs = append(diffs, fmt.Sprintf("%d bytes, the plan saw %d", got.Size, want.Size))
	}
	if got.Rows != want.Rows {
		diffs = append(diffs, fmt.Sprintf("%d rows, the plan saw %d", got.Rows, want.Rows))
	}
	if got.Version != want.Version {
		diffs = append(diffs, fmt.Sprintf("version %s, the plan saw %s", got.Version, want.Version))
	}
	if got.EndsSHA256 != want.EndsSHA256 {
		diffs = append(diffs, fmt.Sprintf("other contents (sha256 of its first and last MiB %.12s, the plan saw %.12s)", got.EndsSHA256, want.EndsSHA256))
	}
	if !got.ModTime.Equal(want.ModTime) {
		diffs = append(diffs, fmt.Sprintf("modified at %s, the plan saw %s", got.ModTime.Format(time.RFC3339Nano), want.ModTime.Format(time.RFC3339Nano)))
	}
	if len(diffs) == 0 {
		return nil
	}
	return &sources.InputError{Path: path, RowGroup: -1, Err: fmt.Errorf("%w: not the file the plan saw: %s; plan again", sources.ErrChanged, strings.Join(diffs, "; "))}
}
