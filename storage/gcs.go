package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	gcs "cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
)

// gcsBackend is a Google Cloud Storage bucket, made through
// cloud.google.com/go/storage over the JSON API. Credentials are Google's
// Application Default Credentials, found as gcloud and the client
// libraries find them: GOOGLE_APPLICATION_CREDENTIALS, the file
// `gcloud auth application-default login` writes, workload identity, the
// metadata server of GCE, GKE and Cloud Run. STORAGE_EMULATOR_HOST points
// it at an emulator.
type gcsBackend struct {
	b *gcs.BucketHandle
}

func newGCS(ctx context.Context, loc Location, opts Options) (backend, error) {
	// Reads through the JSON API, as every other request: its
	// generation conditions are what the identity check relies on.
	co := []option.ClientOption{gcs.WithJSONReads()}
	if anon, _ := strconv.ParseBool(loc.Params.Get("anonymous")); anon {
		co = append(co, option.WithoutAuthentication())
	}
	if opts.HTTPClient != nil {
		co = append(co, option.WithHTTPClient(opts.HTTPClient))
	}
	if opts.endpoint != "" {
		co = append(co, option.WithEndpoint(opts.endpoint))
	}
	c, err := gcs.NewClient(ctx, co...)
	if err != nil {
		return nil, fmt.Errorf("find Google credentials: %w", err)
	}
	// The Store retries every request but the streamed uploads'.
	c.SetRetry(gcs.WithPolicy(gcs.RetryNever))
	return &gcsBackend{b: c.Bucket(loc.Bucket)}, nil
}

func (b *gcsBackend) statusOf(err error) int {
	st, _ := gcsErr(err)
	return st
}

// gcsErr is (status, err) for a failed library call.
func gcsErr(err error) (int, error) {
	var ge *googleapi.Error
	switch {
	case errors.As(err, &ge):
		return ge.Code, err
	case errors.Is(err, gcs.ErrObjectNotExist), errors.Is(err, gcs.ErrBucketNotExist):
		return http.StatusNotFound, err
	}
	return 0, err
}

func gen(v string) (int64, error) {
	g, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("generation %q: %w", v, err)
	}
	return g, nil
}

func gcsInfo(a *gcs.ObjectAttrs) ObjectInfo {
	return ObjectInfo{Key: a.Name, Size: a.Size, Version: strconv.FormatInt(a.Generation, 10), ModTime: a.Updated}
}

func (b *gcsBackend) stat(ctx context.Context, key string) (ObjectInfo, int, error) {
	a, err := b.b.Object(key).Attrs(ctx)
	if err != nil {
		st, err := gcsErr(err)
		return ObjectInfo{}, st, err
	}
	return gcsInfo(a), 0, nil
}

func (b *gcsBackend) list(ctx context.Context, prefix, after string, fn func(ObjectInfo) error) (int, error) {
	q := &gcs.Query{Prefix: prefix}
	if after != "" {
		q.StartOffset = after + "\x00" // the first key after it
	}
	if err := q.SetAttrSelection([]string{"Name", "Size", "Generation", "Updated"}); err != nil {
		return 0, err
	}
	it := b.b.Objects(ctx, q)
	for {
		a, err := it.Next()
		if err == iterator.Done {
			return 0, nil
		}
		if err != nil {
			return gcsErr(err)
		}
		if err := fn(gcsInfo(a)); err != nil {
			return 0, err
		}
	}
}

func (b *gcsBackend) get(ctx context.Context, key, version string, off, n int64) (io.ReadCloser, int, error) {
	o := b.b.Object(key)
	var g int64
	if version != "" {
		var err error
		if g, err = gen(version); err != nil {
			return nil, 0, err
		}
		o = o.If(gcs.Conditions{GenerationMatch: g})
	}
	r, err := o.NewRangeReader(ctx, off, n)
	if err != nil {
		st, err := gcsErr(err)
		return nil, st, err
	}
	if version != "" && r.Attrs.Generation != g {
		r.Close()
		return nil, http.StatusPreconditionFailed, errVersion(version, strconv.FormatInt(r.Attrs.Generation, 10))
	}
	return r, 0, nil
}

func (b *gcsBackend) putSmall(ctx context.Context, key string, data []byte, c cond) (string, int, error) {
	o := b.b.Object(key)
	switch {
	case c.absent:
		o = o.If(gcs.Conditions{DoesNotExist: true})
	case c.match != "":
		g, err := gen(c.match)
		if err != nil {
			return "", 0, err
		}
		o = o.If(gcs.Conditions{GenerationMatch: g})
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := o.NewWriter(ctx)
	w.ChunkSize = 0 // one request
	if _, err := w.Write(data); err != nil {
		st, err := gcsErr(err)
		return "", st, err
	}
	if err := w.Close(); err != nil {
		st, err := gcsErr(err)
		return "", st, err
	}
	return strconv.FormatInt(w.Attrs().Generation, 10), 0, nil
}

// putStream is a resumable upload in chunks of partSize (rounded down to
// the 256 KiB multiple GCS requires), which the library sends again when
// they fail.
func (b *gcsBackend) putStream(ctx context.Context, key string, partSize int64) (io.WriteCloser, func()) {
	ctx, cancel := context.WithCancel(ctx)
	w := b.b.Object(key).Retryer(gcs.WithPolicy(gcs.RetryAlways), gcs.WithMaxAttempts(10)).NewWriter(ctx)
	w.ChunkSize = int(partSize / (256 << 10) * (256 << 10))
	return &gcsWriter{w: w, cancel: cancel}, cancel
}

type gcsWriter struct {
	w      *gcs.Writer
	cancel context.CancelFunc
}

func (w *gcsWriter) Write(p []byte) (int, error) { return w.w.Write(p) }

func (w *gcsWriter) Close() error {
	defer w.cancel()
	return w.w.Close()
}

func (b *gcsBackend) copy(ctx context.Context, src, dst string, _ int64) (int, error) {
	_, err := b.b.Object(dst).CopierFrom(b.b.Object(src)).Run(ctx)
	return gcsErr(err)
}

func (b *gcsBackend) remove(ctx context.Context, key string) (int, error) {
	return gcsErr(b.b.Object(key).Delete(ctx))
}
