package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Writer writes one object. Bytes are sent in parts of
// [Options.PartSize]: a part is uploaded (and sent again when it fails for
// a passing reason) while the next one fills, so a Writer holds at most
// two parts whatever the object's size. An object smaller than a part is
// written by one request at Close. Nothing is visible at the key before
// Close returns nil; Abort (or a failed Close) leaves nothing. A Writer
// is for one goroutine.
//
// A held Writer ([Store.createHeld], for a partUploader) sends every
// byte, even of a small object, as parts of an upload it leaves open at
// Close: the object appears only when the upload is completed by
// whoever holds its id and part tags ([Writer.upload]), and Abort,
// even after Close, discards it.
type Writer struct {
	s   *Store
	ctx context.Context
	key string

	buf []byte
	err error

	// parts, for a partUploader
	pu    partUploader
	id    string
	tags  []string
	spare []byte
	wait  chan partResult // the part in flight, nil when none

	// streams, for a streamUploader
	sw    io.WriteCloser
	abort func()

	closed bool
	held   bool // parts only; Close leaves the upload open
}

type partResult struct {
	tag string
	buf []byte
	err error
}

// Create starts writing the object at key. ctx bounds the whole upload,
// up to Close.
func (s *Store) Create(ctx context.Context, key string) *Writer {
	w := &Writer{s: s, ctx: ctx, key: key}
	switch be := s.be.(type) {
	case partUploader:
		w.pu = be
		w.buf = make([]byte, 0, s.opts.PartSize)
	case streamUploader:
		w.sw, w.abort = be.putStream(ctx, key, s.opts.PartSize)
	}
	return w
}

// createHeld starts writing the object at key as an upload that Close
// leaves open (see [Writer]); the backend must be a partUploader.
func (s *Store) createHeld(ctx context.Context, key string) *Writer {
	w := s.Create(ctx, key)
	w.held = true
	return w
}

// upload is the open upload of a held Writer after Close: its id and
// its parts' tags; "" and none for an empty object, which no upload
// holds (S3 refuses an empty part).
func (w *Writer) upload() (id string, tags []string) { return w.id, w.tags }

// Write appends p to the object.
func (w *Writer) Write(p []byte) (int, error) {
	if w.closed {
		return 0, fmt.Errorf("write %s: writer closed", w.s.url(w.key))
	}
	if w.err != nil {
		return 0, w.err
	}
	if w.sw != nil {
		n, err := w.sw.Write(p)
		if err != nil {
			w.err = classify("write", w.s.url(w.key), 0, err)
		}
		return n, w.err
	}
	n := 0
	for len(p) > 0 {
		k := min(len(p), cap(w.buf)-len(w.buf))
		w.buf = append(w.buf, p[:k]...)
		p, n = p[k:], n+k
		if len(w.buf) == cap(w.buf) {
			if err := w.flush(); err != nil {
				w.err = err
				return n, err
			}
		}
	}
	return n, nil
}

// flush sends the full buffer as the next part, after the part in flight
// has gone, and carries on filling the other buffer.
func (w *Writer) flush() error {
	if w.id == "" {
		var id string
		err := w.s.opts.Retry.do(w.ctx, w.s.retried, func() (int, error) {
			w.s.stats.Put.Add(1)
			var st int
			var err error
			id, st, err = w.pu.startUpload(w.ctx, w.key)
			return st, classify("write", w.s.url(w.key), st, err)
		})
		if err != nil {
			return err
		}
		w.id = id
	}
	if err := w.collect(); err != nil {
		return err
	}
	n, data := len(w.tags)+1, w.buf
	w.wait = make(chan partResult, 1)
	go func(ch chan<- partResult) {
		var tag string
		err := w.s.opts.Retry.do(w.ctx, w.s.retried, func() (int, error) {
			w.s.stats.Put.Add(1)
			var st int
			var err error
			tag, st, err = w.pu.uploadPart(w.ctx, w.key, w.id, n, data)
			return st, classify("write", fmt.Sprintf("%s part %d", w.s.url(w.key), n), st, err)
		})
		ch <- partResult{tag: tag, buf: data, err: err}
	}(w.wait)
	if w.spare == nil {
		w.spare = make([]byte, 0, w.s.opts.PartSize)
	}
	w.buf, w.spare = w.spare[:0], nil
	return nil
}

// collect waits for the part in flight and takes back its buffer.
func (w *Writer) collect() error {
	if w.wait == nil {
		return nil
	}
	r := <-w.wait
	w.wait = nil
	w.spare = r.buf[:0]
	if r.err != nil {
		return r.err
	}
	w.tags = append(w.tags, r.tag)
	return nil
}

// Close writes what is left and publishes the object at its key. On
// failure nothing is published and the upload is aborted.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err != nil {
		w.Abort()
		return w.err
	}
	if w.sw != nil {
		if err := w.sw.Close(); err != nil {
			w.err = classify("write", w.s.url(w.key), 0, err)
		}
		return w.err
	}
	if w.id == "" && !w.held {
		_, w.err = w.s.putBytes(w.ctx, w.key, w.buf, cond{})
		w.buf = nil
		return w.err
	}
	if len(w.buf) > 0 {
		if err := w.flush(); err != nil {
			w.err = err
		}
	}
	if err := w.collect(); err != nil && w.err == nil {
		w.err = err
	}
	if w.err == nil && w.held {
		w.buf, w.spare = nil, nil
		return nil
	}
	if w.err == nil {
		w.err = w.s.opts.Retry.do(w.ctx, w.s.retried, func() (int, error) {
			w.s.stats.Put.Add(1)
			st, err := w.pu.completeUpload(w.ctx, w.key, w.id, w.tags)
			return st, classify("write", w.s.url(w.key), st, err)
		})
	}
	w.buf, w.spare = nil, nil
	if w.err != nil {
		w.abortParts()
	}
	return w.err
}

// Abort stops the upload and leaves nothing at the key (beyond what was
// there before). It is safe after Close, which it then does not undo,
// except for a held Writer, whose open upload it discards.
func (w *Writer) Abort() {
	if w.sw != nil {
		if !w.closed || w.err != nil {
			w.abort()
		}
		w.closed = true
		return
	}
	if w.closed && w.err == nil && !w.held {
		return
	}
	w.closed = true
	if w.err == nil {
		w.err = errors.New("aborted")
	}
	w.abortParts()
}

func (w *Writer) abortParts() {
	if w.wait != nil {
		<-w.wait
		w.wait = nil
	}
	if w.id != "" {
		// The run may be ending because ctx was cancelled: the abort
		// still goes out. A lost abort leaves only parts that are never
		// visible (and a lifecycle rule can expire).
		ctx := context.WithoutCancel(w.ctx)
		w.s.opts.Retry.do(ctx, w.s.retried, func() (int, error) {
			w.s.stats.Delete.Add(1)
			st, err := w.pu.abortUpload(ctx, w.key, w.id)
			return st, err
		})
		w.id = ""
	}
	w.buf, w.spare = nil, nil
}
