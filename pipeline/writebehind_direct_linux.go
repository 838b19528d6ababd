//go:build linux

package pipeline

import (
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Direct writes of output files. Copying the output into the page cache
// (write's copy_folio_from_iter), starting its writeback and dropping it
// again (see writebehind_linux.go) took about 0.2 CPU-s of the mixed
// split's 2.1, most of it the copy into pages the host had taken back. A
// file opened for direct I/O (O_DIRECT) is written from the process's own
// memory straight to the disk: its bytes are gathered in a buffer aligned
// as direct I/O requires and written a directChunk at a time, on a
// goroutine while the next buffer fills (a direct write waits for the
// disk), and the last, partial block is written through the page cache
// (O_DIRECT turned off) just before Close syncs the file. The bytes on
// disk are the same. A file holds two buffers while it is written.

// directChunk is the bytes gathered before each direct write.
const directChunk = 1 << 20

// directAlign is the alignment of a direct write's memory, file offset
// and length: 4096 covers the logical block sizes of the usual disks.
const directAlign = 4096

// useDirect, when false (tests), leaves output files to write-behind.
var useDirect = true

// directBuffer is the aligned buffer of a file written with O_DIRECT.
type directBuffer struct {
	buf []byte // directChunk bytes at an address aligned to directAlign
	n   int    // bytes of buf not yet written
}

// directBuffers recycles the buffers of written chunks and closed files
// for the next ones, up to directKept of them: a fresh buffer is page
// faults, and a sync.Pool lets the collector drop its buffers.
var directBuffers = make(chan *directBuffer, directKept)

// directKept is how many free buffers directBuffers keeps: those of two
// files being written.
const directKept = 4

// directSlots bounds the files of the process written with O_DIRECT at
// once, and so their buffers (two each, plus the directKept recycled):
// at most 12 MiB whatever the outputs of the jobs, which the heap
// budget's headroom takes. A file opened while every slot is taken (a
// k-fold job's many outputs, several jobs in one process) is written
// behind instead (writebehind_linux.go), with the same bytes.
var directSlots = make(chan struct{}, 4)

// takeDirectSlot takes a slot of directSlots if one is free.
func takeDirectSlot() bool {
	select {
	case directSlots <- struct{}{}:
		return true
	default:
		return false
	}
}

// releaseDirectSlot gives back a slot taken by takeDirectSlot.
func releaseDirectSlot() { <-directSlots }

// getDirectBuffer returns an empty buffer, a recycled one if any.
func getDirectBuffer() *directBuffer {
	select {
	case d := <-directBuffers:
		d.n = 0
		return d
	default:
	}
	raw := make([]byte, directChunk+directAlign)
	skip := int(-uintptr(unsafe.Pointer(unsafe.SliceData(raw))) & (directAlign - 1))
	return &directBuffer{buf: raw[skip : skip+directChunk]}
}

// putDirectBuffer gives d back for another write, or to the collector
// when directBuffers is full.
func putDirectBuffer(d *directBuffer) {
	select {
	case directBuffers <- d:
	default:
	}
}

// localDisk reports whether f is on a local disk file system whose
// direct I/O is plain block I/O (ext4, XFS, Btrfs). Elsewhere a file is
// written through the page cache even when O_DIRECT would be taken: on
// NFS each direct write is a round trip to the server, Lustre and GPFS
// (where Slurm jobs write) have rules of their own, FUSE file systems
// may take the flag and ignore it, and tmpfs is memory anyway.
func localDisk(f *os.File) bool {
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(f.Fd()), &st); err != nil {
		return false
	}
	switch uint32(st.Type) {
	case unix.EXT4_SUPER_MAGIC, unix.XFS_SUPER_MAGIC, unix.BTRFS_SUPER_MAGIC:
		return true
	}
	return false
}

// setDirect turns O_DIRECT on or off for f's later writes. Turning it on
// fails on a file system that has no direct I/O.
func setDirect(f *os.File, on bool) error {
	fd := f.Fd()
	flags, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
	if err != nil {
		return err
	}
	if on {
		flags |= unix.O_DIRECT
	} else {
		flags &^= unix.O_DIRECT
	}
	_, err = unix.FcntlInt(fd, unix.F_SETFL, flags)
	return err
}

// directWrite is a full buffer being written on a goroutine of its own.
type directWrite struct {
	buf  *directBuffer
	done chan struct{}
	n    int // bytes written, once done
	err  error
}

// writeDirect buffers p and writes each full buffer with O_DIRECT, on a
// goroutine while the next one fills: a direct write waits for the disk.
// After a direct write the file system refused, the file is written
// plainly.
func (w *writeBehindFile) writeDirect(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		d := w.direct
		if d == nil { // direct I/O refused: plain writes from here on
			k, err := w.File.Write(p[n:])
			w.written += int64(k)
			return n + k, err
		}
		k := copy(d.buf[d.n:], p[n:])
		d.n += k
		n += k
		w.written += int64(k)
		if d.n == len(d.buf) {
			if err := w.flushDirect(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// flushDirect starts the direct write of the full buffer, once the write
// before it has ended, and takes an empty buffer.
func (w *writeBehindFile) flushDirect() error {
	if err := w.waitDirect(); err != nil || w.direct == nil {
		return err // or, refused, all written plainly
	}
	fl := &directWrite{buf: w.direct, done: make(chan struct{})}
	go func() {
		fl.n, fl.err = w.File.Write(fl.buf.buf[:fl.buf.n])
		close(fl.done)
	}()
	w.flight = fl
	w.direct = getDirectBuffer()
	return nil
}

// waitDirect waits for the direct write under way, if any. When the file
// system refused it (EINVAL: an alignment it does not take), O_DIRECT is
// turned off and everything buffered is written plainly.
func (w *writeBehindFile) waitDirect() error {
	fl := w.flight
	if fl == nil {
		return nil
	}
	<-fl.done
	w.flight = nil
	if fl.err == nil {
		putDirectBuffer(fl.buf)
		return nil
	}
	if !errors.Is(fl.err, unix.EINVAL) {
		return fl.err
	}
	if err := setDirect(w.File, false); err != nil {
		return fmt.Errorf("turning direct I/O off after %w: %w", fl.err, err)
	}
	w.off = true // no write-behind either: the file system is unusual
	if _, err := w.File.Write(fl.buf.buf[fl.n:fl.buf.n]); err != nil {
		return err
	}
	d := w.direct
	w.direct = nil
	_, err := w.File.Write(d.buf[:d.n])
	return err
}

// endDirect writes what the buffer holds once the write under way has
// ended: its whole blocks directly, the rest through the page cache.
func (w *writeBehindFile) endDirect() error {
	if err := w.waitDirect(); err != nil || w.direct == nil {
		return err
	}
	d := w.direct
	w.direct = nil
	defer putDirectBuffer(d)
	written := 0
	if whole := d.n &^ (directAlign - 1); whole > 0 {
		n, err := w.File.Write(d.buf[:whole])
		written = n
		if err != nil && !errors.Is(err, unix.EINVAL) {
			return err
		}
	}
	if err := setDirect(w.File, false); err != nil {
		return err
	}
	_, err := w.File.Write(d.buf[written:d.n])
	return err
}

// Close writes what the file still buffers, then syncs and closes it.
func (w *writeBehindFile) Close() error {
	var err error
	if w.direct != nil || w.flight != nil {
		err = w.endDirect()
		if err != nil {
			err = fmt.Errorf("writing %s: %w", w.Name(), err)
		}
	}
	if w.slot {
		w.slot = false
		releaseDirectSlot()
	}
	if cerr := w.syncedFile.Close(); err == nil {
		err = cerr
	}
	return err
}
