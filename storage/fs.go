package storage

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// FS is the objects under a prefix of a store as a read-only [fs.FS], for
// code that reads a directory of files (verifying or merging an output):
// keys below the prefix are the slash-separated names, "directories" are
// the prefixes between slashes. Its files are [Object]s: they implement
// [io.ReaderAt] and [io.Seeker], read by ranged GETs pinned to the version
// seen when opened. FS also implements [fs.StatFS] and [fs.ReadDirFS].
// Modification times are the zero time: stores do not agree on them (a
// listing's and a HEAD's may differ), and nothing read through an FS
// needs them.
//
// fs.FS takes no context, so an FS keeps the ctx it is made with for its
// requests: make one per command, and do not use it after ctx ends.
type FS struct {
	ctx    context.Context
	s      *Store
	prefix string // "" (bucket root) or ending in "/"
}

var (
	_ fs.StatFS    = (*FS)(nil)
	_ fs.ReadDirFS = (*FS)(nil)
)

// FS returns the objects under prefix (a directory-like key; "" is the
// bucket root) as an [fs.FS] whose requests ctx bounds.
func (s *Store) FS(ctx context.Context, prefix string) *FS {
	return &FS{ctx: ctx, s: s, prefix: dirPrefix(prefix)}
}

func (f *FS) key(name string) string { return f.prefix + name }

// Open opens the object name, or the "directory" name when objects lie
// below it.
func (f *FS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if name != "." {
		info, err := f.s.Stat(f.ctx, f.key(name))
		switch {
		case err == nil:
			return &fsFile{name: name, o: f.s.openObject(f.ctx, info)}, nil
		case !errors.Is(err, ErrNotFound):
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
	}
	entries, err := f.ReadDir(name)
	if err != nil {
		return nil, err
	}
	return &fsDir{name: name, entries: entries}, nil
}

// Stat returns the information of the object or "directory" name.
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	file, err := f.Open(name)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	return file.Stat()
}

// ReadDir lists what lies directly below the "directory" name, sorted by
// name; a name with no object below it does not exist.
func (f *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	prefix := f.prefix
	if name != "." {
		prefix = f.key(name) + "/"
	}
	all, err := f.s.List(f.ctx, prefix)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	var out []fs.DirEntry
	seen := map[string]bool{}
	for _, o := range all {
		rel := strings.TrimPrefix(o.Key, prefix)
		if rel == "" {
			continue // the folder marker of name itself
		}
		child, _, isDir := strings.Cut(rel, "/")
		if seen[child] {
			continue
		}
		seen[child] = true
		if isDir {
			out = append(out, fileInfo{name: child, dir: true})
		} else {
			out = append(out, fileInfo{name: child, size: o.Size})
		}
	}
	if len(out) == 0 && name != "." {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out, nil
}

// fileInfo is an object's or a "directory"'s fs.FileInfo and fs.DirEntry.
type fileInfo struct {
	name string
	size int64
	dir  bool
}

func (i fileInfo) Name() string { return i.name }
func (i fileInfo) Size() int64  { return i.size }
func (i fileInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o555
	}
	return 0o444
}
func (i fileInfo) ModTime() time.Time         { return time.Time{} }
func (i fileInfo) IsDir() bool                { return i.dir }
func (i fileInfo) Sys() any                   { return nil }
func (i fileInfo) Type() fs.FileMode          { return i.Mode().Type() }
func (i fileInfo) Info() (fs.FileInfo, error) { return i, nil }

// fsFile is an opened object of an FS.
type fsFile struct {
	name string
	o    *Object
	off  int64
}

var (
	_ io.ReaderAt = (*fsFile)(nil)
	_ io.Seeker   = (*fsFile)(nil)
)

func (f *fsFile) Stat() (fs.FileInfo, error) {
	return fileInfo{name: path.Base(f.name), size: f.o.info.Size}, nil
}

func (f *fsFile) Read(p []byte) (int, error) {
	n, err := f.o.ReadAt(p, f.off)
	f.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

func (f *fsFile) ReadAt(p []byte, off int64) (int, error) { return f.o.ReadAt(p, off) }

func (f *fsFile) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += f.off
	case io.SeekEnd:
		offset += f.o.info.Size
	default:
		return f.off, &fs.PathError{Op: "seek", Path: f.name, Err: fs.ErrInvalid}
	}
	if offset < 0 {
		return f.off, &fs.PathError{Op: "seek", Path: f.name, Err: fs.ErrInvalid}
	}
	f.off = offset
	return offset, nil
}

// CheckUnchanged reports, wrapping [ErrChanged], an object replaced or
// removed since it was opened (see [Object.CheckUnchanged]).
func (f *fsFile) CheckUnchanged(ctx context.Context) error { return f.o.CheckUnchanged(ctx) }

func (f *fsFile) Close() error { return f.o.Close() }

// fsDir is an opened "directory" of an FS.
type fsDir struct {
	name    string
	entries []fs.DirEntry
	next    int
}

func (d *fsDir) Stat() (fs.FileInfo, error) {
	return fileInfo{name: path.Base(d.name), dir: true}, nil
}

func (d *fsDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: errors.New("is a directory")}
}

func (d *fsDir) Close() error { return nil }

// ReadDir returns the next n entries (all that are left when n <= 0).
func (d *fsDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.next:]
	if n <= 0 {
		d.next = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	rest = rest[:min(n, len(rest))]
	d.next += len(rest)
	return rest, nil
}
