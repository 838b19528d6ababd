package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"sync/atomic"
	"time"
)

// ObjectInfo describes one object: its key, size and identity. Version is
// what changes when the object is replaced: the ETag on S3 and Azure, the
// generation (in decimal) on GCS.
type ObjectInfo struct {
	Key     string
	Size    int64
	Version string
	ModTime time.Time
}

// backend is one object store's requests, made by a client library. Each
// method makes one request and returns the HTTP status of a failure, 0
// when no answer came back; the Store around it retries, classifies and
// names. A backend also implements [partUploader] or [streamUploader].
type backend interface {
	// stat returns the object's info.
	stat(ctx context.Context, key string) (ObjectInfo, int, error)
	// list calls fn with the objects whose keys start with prefix, in
	// the key order of the store (byte order of the UTF-8 keys), from
	// the first key after after ("" for all).
	list(ctx context.Context, prefix, after string, fn func(ObjectInfo) error) (int, error)
	// get reads n bytes at off of key's version; a different version is
	// a failure with status 412, whether the store checks the condition
	// or the backend compares what it got.
	get(ctx context.Context, key, version string, off, n int64) (io.ReadCloser, int, error)
	// putSmall writes data to key in one request under condition c and
	// returns the new version; a failed condition has status 412 (or
	// 409, which the Store treats the same).
	putSmall(ctx context.Context, key string, data []byte, c cond) (string, int, error)
	// copy copies src, of size bytes, to dst inside the bucket, on the
	// server.
	copy(ctx context.Context, src, dst string, size int64) (int, error)
	// remove removes key.
	remove(ctx context.Context, key string) (int, error)
	// statusOf is the HTTP status of an error the library returned
	// later, such as from a response body; 0 when none.
	statusOf(err error) int
}

// cond is the condition of a write: none, the key must not exist, or it
// must have version match.
type cond struct {
	absent bool
	match  string
}

// partUploader is a backend writing large objects in parts the Store
// sends (and resends) itself: S3 multipart uploads, Azure staged blocks.
// Parts are numbered from 1; all but the last hold the same size.
//
// An upload stays open, invisible to LIST and GET, until completed, so
// an [Output] uploads its files straight to their keys and completes
// them after its commit point. completeUpload of an upload completed
// already fails with 404 on S3 (NoSuchUpload) and succeeds again on
// Azure (the block list names committed blocks).
type partUploader interface {
	startUpload(ctx context.Context, key string) (id string, status int, err error)
	uploadPart(ctx context.Context, key, id string, n int, data []byte) (tag string, status int, err error)
	completeUpload(ctx context.Context, key, id string, tags []string) (int, error)
	abortUpload(ctx context.Context, key, id string) (int, error)
	// uploadSurvivesDelete reports whether an open upload to a key
	// survives the removal of the object at that key (S3), or is
	// discarded with it (Azure's uncommitted blocks).
	uploadSurvivesDelete() bool
	// completedVersion is the version the object of a completed upload
	// of parts tags has, when the store's convention says it; ok false
	// when it cannot be known from the tags.
	completedVersion(tags []string) (v string, ok bool)
}

// uploadLister is a partUploader that can list its open uploads (S3's
// ListMultipartUploads), so that a killed run's are aborted. Azure's
// uncommitted blocks cannot be listed by prefix; they expire after a
// week.
type uploadLister interface {
	listUploads(ctx context.Context, prefix string, fn func(key, id string) error) (int, error)
}

// streamUploader is a backend whose library writes large objects itself,
// in chunks of partSize it resends on failure (GCS resumable uploads).
// abort stops the upload; nothing is written unless Close succeeds.
type streamUploader interface {
	putStream(ctx context.Context, key string, partSize int64) (w io.WriteCloser, abort func())
}

// Stats counts a Store's requests, for benchmarks and for tests that
// check reads are coalesced. All counters are updated atomically.
type Stats struct {
	Get, Put, List, Stat, Copy, Delete, Retries atomic.Int64
	BytesRead                                   atomic.Int64
}

// Store is an opened bucket (an Azure container) of one object store. A
// Store is safe for concurrent use; it holds connections, not data.
type Store struct {
	loc   Location // its Key is ""
	be    backend
	opts  Options
	stats Stats
	pool  *blockPool // the blocks of its Objects (object.go)
}

// Options are the knobs of an opened [Store]. The zero value is the
// documented default of each field.
type Options struct {
	// HTTPClient sends the store's requests; nil is a client with
	// connection reuse sized for [Options.ReadParallel] readers. Tests
	// set it to inject faults.
	HTTPClient *http.Client
	// Retry is the policy for requests that fail for a passing reason.
	Retry Retry
	// BlockSize is the unit of ranged reads ([Object]); 0 is 1 MiB.
	BlockSize int64
	// ReadAhead is the most bytes the [Object]s of a Store hold in read
	// blocks, all of them together (fetched ahead or kept for small
	// reads); 0 is 16 MiB. It bounds the memory reads add to the
	// caller's buffers, however many objects are open.
	ReadAhead int64
	// ReadParallel is the most ranged GETs one [Object] has in flight;
	// 0 is 4.
	ReadParallel int
	// PartSize is the part size of multipart uploads: a file being
	// written holds at most PartSize bytes (S3's minimum is 5 MiB); 0
	// is 16 MiB.
	PartSize int64

	endpoint string // the GCS JSON API's, for tests (export_test.go)
}

// Defaults of [Options].
const (
	DefaultBlockSize    = 1 << 20
	DefaultReadAhead    = 16 << 20
	DefaultReadParallel = 4
	DefaultPartSize     = 16 << 20
	minPartSize         = 5 << 20
)

func (o Options) withDefaults() Options {
	if o.BlockSize <= 0 {
		o.BlockSize = DefaultBlockSize
	}
	if o.ReadAhead <= 0 {
		o.ReadAhead = DefaultReadAhead
	}
	if o.ReadAhead < o.BlockSize {
		o.ReadAhead = o.BlockSize
	}
	if o.ReadParallel <= 0 {
		o.ReadParallel = DefaultReadParallel
	}
	if o.PartSize <= 0 {
		o.PartSize = DefaultPartSize
	}
	if o.PartSize < minPartSize {
		o.PartSize = minPartSize
	}
	o.Retry = o.Retry.withDefaults()
	return o
}

// Open opens the bucket of loc, an object-store location ([Parse]),
// finding credentials as the cloud's own tools do (see the package
// documentation). It makes no request: a missing bucket or a refused
// credential is reported by the first operation.
func Open(ctx context.Context, loc Location, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	var (
		be  backend
		err error
	)
	switch loc.Scheme {
	case SchemeS3:
		be, err = newS3(ctx, loc, opts)
	case SchemeGCS:
		be, err = newGCS(ctx, loc, opts)
	case SchemeAzure:
		be, err = newAzure(ctx, loc, opts)
	default:
		return nil, fmt.Errorf("open %s: not an object-store location", loc)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", Location{Scheme: loc.Scheme, Bucket: loc.Bucket}, err)
	}
	bucket := loc
	bucket.Key = ""
	return &Store{loc: bucket, be: be, opts: opts, pool: newBlockPool(opts)}, nil
}

// Stats returns the store's request counters.
func (s *Store) Stats() *Stats { return &s.stats }

// url names key for messages: scheme, bucket and key, no parameters.
func (s *Store) url(key string) string {
	return s.loc.Scheme + "://" + s.loc.Bucket + "/" + key
}

// Location is the location of key in the store, with the store's
// parameters.
func (s *Store) Location(key string) Location {
	l := s.loc
	l.Key = key
	return l
}

// Stat returns the info of the object at key.
func (s *Store) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	var info ObjectInfo
	err := s.opts.Retry.do(ctx, s.retried, func() (int, error) {
		s.stats.Stat.Add(1)
		var st int
		var err error
		info, st, err = s.be.stat(ctx, key)
		return st, classify("stat", s.url(key), st, err)
	})
	return info, err
}

func (s *Store) retried() { s.stats.Retries.Add(1) }

// List returns the objects whose keys start with prefix, in key order.
// As for a local directory, pass a prefix ending in "/" to list what is
// "in" it; List itself does not add one.
func (s *Store) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	var out []ObjectInfo
	after := ""
	err := s.opts.Retry.do(ctx, s.retried, func() (int, error) {
		s.stats.List.Add(1)
		st, err := s.be.list(ctx, prefix, after, func(o ObjectInfo) error {
			if len(out) > 0 && o.Key <= out[len(out)-1].Key {
				return fmt.Errorf("store listed %q after %q, out of order", o.Key, out[len(out)-1].Key)
			}
			out = append(out, o)
			after = o.Key
			return nil
		})
		return st, classify("list", s.url(prefix), st, err)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Glob returns the objects whose keys match pattern ([path.Match] syntax,
// "/" separating segments, as a shell glob over local paths), in key
// order. It lists the prefix before the first metacharacter only once.
// A pattern without metacharacters matches its own key (the object, if it
// exists) and, like a local directory, the objects under key + "/".
func (s *Store) Glob(ctx context.Context, pattern string) ([]ObjectInfo, error) {
	if err := validPattern(pattern); err != nil {
		return nil, fmt.Errorf("glob %s: %w", s.url(pattern), err)
	}
	if !hasMeta(pattern) {
		return s.ListDir(ctx, pattern)
	}
	i := strings.IndexAny(pattern, `*?[\`)
	all, err := s.List(ctx, pattern[:i])
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, o := range all {
		if ok, _ := path.Match(pattern, o.Key); ok {
			out = append(out, o)
		}
	}
	return out, nil
}

// ListDir returns what a local path names when it is given as an input:
// the object at key if there is one, else the objects under key + "/",
// in key order (all the levels below it, as a recursive walk of a local
// directory would find them). Objects whose names end in "/" (folder
// markers some tools create) are left out. Nothing found is an error
// wrapping [ErrNotFound].
func (s *Store) ListDir(ctx context.Context, key string) ([]ObjectInfo, error) {
	if key != "" && !strings.HasSuffix(key, "/") {
		info, err := s.Stat(ctx, key)
		if err == nil {
			return []ObjectInfo{info}, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	all, err := s.List(ctx, dirPrefix(key))
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, o := range all {
		if !strings.HasSuffix(o.Key, "/") {
			out = append(out, o)
		}
	}
	if len(out) == 0 {
		return nil, &Error{Op: "list", URL: s.url(key), Status: http.StatusNotFound,
			Err: fmt.Errorf("%w: no object and no objects under it", ErrNotFound)}
	}
	return out, nil
}

// Remove removes the object at key; a missing object is not an error.
func (s *Store) Remove(ctx context.Context, key string) error {
	return s.opts.Retry.do(ctx, s.retried, func() (int, error) {
		s.stats.Delete.Add(1)
		st, err := s.be.remove(ctx, key)
		if st == http.StatusNotFound {
			return 0, nil
		}
		return st, classify("delete", s.url(key), st, err)
	})
}

// copyObject copies src to dst on the server.
func (s *Store) copyObject(ctx context.Context, src, dst string, size int64) error {
	return s.opts.Retry.do(ctx, s.retried, func() (int, error) {
		s.stats.Copy.Add(1)
		st, err := s.be.copy(ctx, src, dst, size)
		return st, classify("copy", s.url(src)+" to "+dst, st, err)
	})
}

// putBytes writes b to key in one request, retried, and returns the new
// version. With c.absent an existing object, with c.match another
// version, fails it with an error wrapping [errPrecondition].
func (s *Store) putBytes(ctx context.Context, key string, b []byte, c cond) (string, error) {
	var v string
	err := s.opts.Retry.do(ctx, s.retried, func() (int, error) {
		s.stats.Put.Add(1)
		var st int
		var err error
		v, st, err = s.be.putSmall(ctx, key, b, c)
		if err != nil && (st == http.StatusPreconditionFailed || st == http.StatusConflict) && (c.absent || c.match != "") {
			return st, &Error{Op: "write", URL: s.url(key), Status: st, Err: fmt.Errorf("%w: %w", errPrecondition, err)}
		}
		return st, classify("write", s.url(key), st, err)
	})
	return v, err
}

// errPrecondition is the class of a conditional write that found the key
// in another state than asked.
var errPrecondition = errors.New("condition not met")

// getBytes reads the whole object at key (small ones: locks).
func (s *Store) getBytes(ctx context.Context, key string, limit int64) ([]byte, ObjectInfo, error) {
	info, err := s.Stat(ctx, key)
	if err != nil {
		return nil, info, err
	}
	if info.Size > limit {
		return nil, info, fmt.Errorf("read %s: %d bytes, more than the %d expected", s.url(key), info.Size, limit)
	}
	b := make([]byte, info.Size)
	o := &Object{s: s, info: info}
	if _, err := o.fetch(ctx, b, 0); err != nil {
		return nil, info, err
	}
	return b, info, nil
}
