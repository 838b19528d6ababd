package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
	"golang.org/x/sync/semaphore"

	"github.com/splitdata/splitdata/sinks"
)

// encode turns one row-group job into encoded bytes.
func (e *engine) encode(j rowGroupJob) (encodedJob, error) {
	if j.rows == 0 {
		return encodedJob{rowGroupJob: j}, nil
	}
	observed, err := e.observe(&j)
	if err != nil {
		return encodedJob{}, err
	}
	var chunk sinks.Chunk
	if j.stream != nil {
		if chunk, err = j.stream.finish(); err == nil {
			j.weight = e.streams.settle(chunk, j.weight)
		}
	} else {
		chunk, err = e.reader.encode(j.segs)
	}
	if err != nil {
		return encodedJob{}, fmt.Errorf("encode %s row group %d: %w", e.names[j.split], j.seq, err)
	}
	j.segs = nil // let the routed rows go
	return encodedJob{rowGroupJob: j, chunk: chunk, observed: observed}, nil
}

// segmentReader reads the rows of a list of pieces in order. It hands out
// the rows themselves, not copies: the writer only reads them.
type segmentReader struct {
	segs [][]parquet.Row
}

func newSegmentReader(segs []rowSeg) *segmentReader {
	r := &segmentReader{segs: make([][]parquet.Row, len(segs))}
	for k, seg := range segs {
		r.segs[k] = seg.rows
	}
	return r
}

// ReadRows fills rows across segment boundaries: the encoder clones rows
// kept across a short read, so short reads would cost a copy of each row.
func (r *segmentReader) ReadRows(rows []parquet.Row) (int, error) {
	n := 0
	for n < len(rows) && len(r.segs) > 0 {
		k := copy(rows[n:], r.segs[0])
		n += k
		if r.segs[0] = r.segs[0][k:]; len(r.segs[0]) == 0 {
			r.segs = r.segs[1:]
		}
	}
	if n == 0 && len(r.segs) == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// fileWriter is one output file being written.
type fileWriter struct {
	rel  string
	f    io.WriteCloser
	hw   *hashedWriter
	cw   countingWriter
	pw   sinks.FileWriter
	rows int64
}

// stableChunk reports whether every byte a file writer writes of c, when
// it appends c, stays unmodified until c is released.
func stableChunk(c sinks.Chunk) bool {
	s, ok := c.(interface{ StableBytes() bool })
	return ok && s.StableBytes()
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// write appends encoded row groups to their files strictly in each split's
// row-group order and returns what it wrote.
func (e *engine) write(ctx context.Context, in <-chan encodedJob, jobWindow *semaphore.Weighted) (infos []SplitInfo, err error) {
	infos = make([]SplitInfo, len(e.names))
	for s, name := range e.names {
		infos[s].Name = name
	}
	open := make([]*fileWriter, len(e.names))
	closers := newFileClosers()
	var sums []pendingSum
	defer func() {
		for _, fw := range open {
			if fw != nil {
				fw.hw.finish() // runs the releases waiting for the hash
				fw.f.Close()
			}
		}
		for _, p := range sums {
			p.hw.finish()
			if infos != nil {
				infos[p.split].Files[p.file].SHA256 = hex.EncodeToString(p.hw.h.Sum(nil))
			}
		}
		// A file that failed to close did so before anything that
		// followed it: its error is the job's.
		if cerr := closers.wait(); cerr != nil {
			infos, err = nil, cerr
		}
	}()
	held := make([]map[int]encodedJob, len(e.names))
	next := make([]int, len(e.names))
	for s := range held {
		held[s] = make(map[int]encodedJob)
		next[s] = e.layout.start(s).seq // a shard's first row group
	}
	for j := range in {
		s := j.split
		held[s][j.seq] = j
		for {
			j, ok := held[s][next[s]]
			if !ok {
				break
			}
			delete(held[s], next[s])
			next[s]++
			e.layout.file(&j.rowGroupJob)
			if open[s] == nil {
				fw, err := e.createFile(ctx, s, j.file)
				if err != nil {
					return nil, err
				}
				open[s] = fw
			}
			fw := open[s]
			if j.chunk != nil {
				n := fw.cw.n
				stable := stableChunk(j.chunk)
				fw.hw.stable = stable
				err := fw.pw.Append(j.chunk)
				fw.hw.stable = false
				if err != nil {
					return nil, fmt.Errorf("write %s: %w", fw.rel, err)
				}
				if j.observed != nil {
					if err := j.observed(fw.rel, fw.rows); err != nil {
						return nil, err
					}
				}
				fw.rows += j.chunk.NumRows()
				e.progress.written(j.chunk.NumRows(), fw.cw.n-n)
			}
			// Written and hashed, the chunk's memory can hold the next one.
			release := func() { jobWindow.Release(j.weight) }
			if r, ok := j.chunk.(interface{ Release() }); ok && j.chunk != nil {
				release = func() { r.Release(); jobWindow.Release(j.weight) }
			}
			fw.hw.release(release)
			if j.last {
				info, err := e.endFile(fw)
				open[s] = nil
				if err != nil {
					fw.hw.finish()
					fw.f.Close()
					return nil, err
				}
				fw.hw.seal()
				if err := closers.close(fw.rel, fw.f); err != nil {
					fw.hw.finish()
					return nil, err
				}
				// The sum waits for the hash behind the writer (see
				// hashedWriter), taken when the job's files are all written.
				infos[s].Files = append(infos[s].Files, info)
				infos[s].Rows += info.Rows
				sums = append(sums, pendingSum{split: s, file: len(infos[s].Files) - 1, hw: fw.hw})
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for s := range open {
		if open[s] != nil || len(held[s]) > 0 {
			return nil, fmt.Errorf("internal error: split %s ended with an open file", e.names[s])
		}
	}
	return infos, nil
}

// createFile starts file file of output split, its bytes hashed and
// counted as they are written.
func (e *engine) createFile(ctx context.Context, split, file int) (*fileWriter, error) {
	rel := e.layout.name(split, file)
	f, err := e.out.Create(ctx, rel)
	if err != nil {
		return nil, err
	}
	fw := &fileWriter{rel: rel, f: f, hw: newHashedWriter(f, sha256.New())}
	fw.cw = countingWriter{w: fw.hw}
	fw.pw, err = e.format.NewFileWriter(&fw.cw, e.schema, e.kv)
	if err != nil {
		f.Close()
		return nil, err
	}
	return fw, nil
}

// finishFile completes fw and closes its file, which syncs a local one.
func (e *engine) finishFile(fw *fileWriter) (FileInfo, error) {
	info, err := e.endFile(fw)
	if err == nil {
		fw.hw.finish()
		info.SHA256 = hex.EncodeToString(fw.hw.h.Sum(nil))
	}
	if cerr := fw.f.Close(); err == nil { // a complete file: synced
		err = cerr
	}
	if err != nil {
		return FileInfo{}, fmt.Errorf("write %s: %w", fw.rel, err)
	}
	return info, nil
}

// endFile writes the rest of fw (its footer) to its file, which it leaves
// open, and returns what the manifest records of it but its SHA-256, which
// is fw.hw's sum once fw.hw is finished.
func (e *engine) endFile(fw *fileWriter) (FileInfo, error) {
	err := fw.pw.Close()
	if err == nil {
		err = fw.hw.Flush()
	}
	if err != nil {
		return FileInfo{}, fmt.Errorf("write %s: %w", fw.rel, err)
	}
	return FileInfo{Path: fw.rel, Rows: fw.rows, Bytes: fw.cw.n}, nil
}

// pendingSum is an output file whose SHA-256 is still being taken: file
// file of split split in the infos the writer returns.
type pendingSum struct {
	split, file int
	hw          *hashedWriter
}
