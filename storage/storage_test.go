package storage_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/splitter"
	"github.com/splitdata/splitdata/storage"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in             string
		scheme, bucket string
		key            string
		str            string // String(); "" = in
		err            string
	}{
		{in: "data/train.parquet", key: "data/train.parquet"},
		{in: "/abs/dir", key: "/abs/dir"},
		{in: "file:///abs/dir", scheme: "file", key: "/abs/dir"},
		{in: "s3://bkt/some/prefix", scheme: "s3", bucket: "bkt", key: "some/prefix"},
		{in: "s3://bkt", scheme: "s3", bucket: "bkt", str: "s3://bkt/"},
		{in: "s3://bkt/p?use_path_style=true&endpoint=http://127.0.0.1:9000&region=us-east-1", scheme: "s3", bucket: "bkt", key: "p",
			str: "s3://bkt/p?endpoint=http%3A%2F%2F127.0.0.1%3A9000&region=us-east-1&use_path_style=true"},
		{in: "gs://b/x/*.parquet", scheme: "gs", bucket: "b", key: "x/*.parquet"},
		{in: "az://container/p?storage_account=acct", scheme: "az", bucket: "container", key: "p"},
		{in: "S3://bkt/k", scheme: "s3", bucket: "bkt", key: "k", str: "s3://bkt/k"},
		{in: "hdfs://x/y", err: `unknown scheme "hdfs"`},
		{in: "s3:///k", err: "no bucket"},
		{in: "s3://AKIA:secret@bkt/k", err: "credentials do not go in the URL"},
		{in: "s3://bkt/k?colour=red", err: `unknown parameter "colour"`},
		{in: "s3://bkt/k?use_path_style=maybe", err: "is not true or false"},
		{in: "s3://bkt/k?endpoint=localhost:9000", err: "is not an http:// or https:// URL"},
		{in: "s3://bkt/k?region=a&region=b", err: "given 2 times"},
		{in: "gs://b/k?endpoint=http://x", err: `unknown parameter "endpoint"`},
		{in: "az://c/k?protocol=ftp", err: "is not http or https"},
		{in: "file://host/x", err: "names no host"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			l, err := storage.Parse(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, splitter.ErrUsage) {
					t.Fatalf("Parse(%q) = %v, %v; want a usage error containing %q", tt.in, l, err, tt.err)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Fatalf("error shows the credential: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if l.Scheme != tt.scheme || l.Bucket != tt.bucket || l.Key != tt.key {
				t.Fatalf("Parse(%q) = %+v; want scheme %q bucket %q key %q", tt.in, l, tt.scheme, tt.bucket, tt.key)
			}
			want := tt.str
			if want == "" {
				want = tt.in
			}
			if l.String() != want {
				t.Fatalf("String() = %q; want %q", l.String(), want)
			}
			if again, err := storage.Parse(l.String()); err != nil || again.String() != l.String() {
				t.Fatalf("String() does not parse back: %v, %v", again, err)
			}
		})
	}
}

func TestListGlob(t *testing.T) {
	eachStore(t, func(t *testing.T, f fixture) {
		for _, k := range []string{"d/b.parquet", "d/a.parquet", "d/sub/c.parquet", "d/x.csv", "dz/other.parquet", "e"} {
			f.put(t, k, []byte(k))
		}
		s := f.open(t, storage.Options{})
		tests := []struct {
			call string
			got  func() ([]storage.ObjectInfo, error)
			want []string
		}{
			{"List d/", func() ([]storage.ObjectInfo, error) { return s.List(t.Context(), "d/") },
				[]string{"d/a.parquet", "d/b.parquet", "d/sub/c.parquet", "d/x.csv"}},
			{"ListDir d", func() ([]storage.ObjectInfo, error) { return s.ListDir(t.Context(), "d") },
				[]string{"d/a.parquet", "d/b.parquet", "d/sub/c.parquet", "d/x.csv"}},
			{"ListDir e", func() ([]storage.ObjectInfo, error) { return s.ListDir(t.Context(), "e") }, []string{"e"}},
			{"Glob d/*.parquet", func() ([]storage.ObjectInfo, error) { return s.Glob(t.Context(), "d/*.parquet") },
				[]string{"d/a.parquet", "d/b.parquet"}},
			{"Glob d*/*.parquet", func() ([]storage.ObjectInfo, error) { return s.Glob(t.Context(), "d*/*.parquet") },
				[]string{"d/a.parquet", "d/b.parquet", "dz/other.parquet"}},
			{"Glob d/[ab].parquet", func() ([]storage.ObjectInfo, error) { return s.Glob(t.Context(), "d/[ab].parquet") },
				[]string{"d/a.parquet", "d/b.parquet"}},
		}
		for _, tt := range tests {
			objs, err := tt.got()
			if err != nil {
				t.Fatalf("%s: %v", tt.call, err)
			}
			var got []string
			for _, o := range objs {
				got = append(got, o.Key)
				if o.Size != int64(len(o.Key)) || o.Version == "" {
					t.Errorf("%s: %s has size %d version %q", tt.call, o.Key, o.Size, o.Version)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s = %q; want %q", tt.call, got, tt.want)
			}
		}
		_, err := s.ListDir(t.Context(), "nothing/here")
		if !errors.Is(err, storage.ErrNotFound) || !strings.Contains(err.Error(), "nothing/here") || !strings.Contains(err.Error(), "404") {
			t.Errorf("ListDir of nothing = %v; want a 404 naming it", err)
		}
	})
}

func TestReadAt(t *testing.T) {
	eachStore(t, func(t *testing.T, f fixture) {
		const size = 3<<20 + 12345
		data := pattern(1, size)
		f.put(t, "obj", data)
		s := f.open(t, storage.Options{BlockSize: 256 << 10, ReadAhead: 1 << 20})
		o, err := s.OpenObject(t.Context(), "obj")
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		if o.Size() != size {
			t.Fatalf("Size = %d; want %d", o.Size(), size)
		}
		tests := []struct{ off, n int64 }{
			{0, 1}, {size - 8, 8}, {100, 300000}, {256<<10 - 1, 2}, {0, size}, {1 << 20, 3 << 18}, {size - 1, 1},
		}
		for _, tt := range tests {
			p := make([]byte, tt.n)
			n, err := o.ReadAt(p, tt.off)
			if n != int(tt.n) || (err != nil && !(errors.Is(err, io.EOF) && tt.off+tt.n == size)) {
				t.Fatalf("ReadAt(%d, %d) = %d, %v", tt.n, tt.off, n, err)
			}
			if !bytes.Equal(p, data[tt.off:tt.off+tt.n]) {
				t.Fatalf("ReadAt(%d, %d): wrong bytes", tt.n, tt.off)
			}
		}
		// Past the end: io.EOF with what there is.
		p := make([]byte, 10)
		if n, err := o.ReadAt(p, size-4); n != 4 || err != io.EOF || !bytes.Equal(p[:4], data[size-4:]) {
			t.Fatalf("ReadAt across the end = %d, %v", n, err)
		}
		if n, err := o.ReadAt(p, size); n != 0 || err != io.EOF {
			t.Fatalf("ReadAt at the end = %d, %v", n, err)
		}
	})
}

// TestReadCoalesced reads an object in small sequential pieces, as a
// Parquet reader reads pages: the GETs are per block, not per read, and
// the read-ahead never holds more than its bound.
func TestReadCoalesced(t *testing.T) {
	f := s3Fixture(t)
	const size = 4 << 20
	data := pattern(2, size)
	f.put(t, "obj", data)
	s := f.open(t, storage.Options{BlockSize: 256 << 10, ReadAhead: 1 << 20})
	o, err := s.OpenObject(t.Context(), "obj")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	got := make([]byte, 0, size)
	p := make([]byte, 4000)
	reads := 0
	for off := int64(0); off < size; {
		n, err := o.ReadAt(p, off)
		if err != nil && err != io.EOF {
			t.Fatal(err)
		}
		got = append(got, p[:n]...)
		off += int64(n)
		reads++
	}
	if !bytes.Equal(got, data) {
		t.Fatal("wrong bytes")
	}
	gets := s.Stats().Get.Load()
	if blocks := int64(size / (256 << 10)); gets > blocks+4 || gets < blocks {
		t.Fatalf("%d reads made %d GETs; want about %d (one per block)", reads, gets, blocks)
	}
	if read := s.Stats().BytesRead.Load(); read > size+1<<20 {
		t.Fatalf("read %d bytes for an object of %d", read, size)
	}
}

func TestChanged(t *testing.T) {
	eachStore(t, func(t *testing.T, f fixture) {
		f.put(t, "obj", pattern(3, 1<<20))
		s := f.open(t, storage.Options{BlockSize: 64 << 10, ReadAhead: 64 << 10})
		o, err := s.OpenObject(t.Context(), "obj")
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		if _, err := o.ReadAt(make([]byte, 10), 0); err != nil {
			t.Fatal(err)
		}
		if err := o.CheckUnchanged(t.Context()); err != nil {
			t.Fatalf("CheckUnchanged before any change: %v", err)
		}
		f.put(t, "obj", pattern(4, 1<<20)) // same size, other bytes
		_, err = o.ReadAt(make([]byte, 10), 900<<10)
		if !errors.Is(err, storage.ErrChanged) || !strings.Contains(err.Error(), "obj") {
			t.Fatalf("ReadAt after a change = %v; want ErrChanged naming the object", err)
		}
		if err := o.CheckUnchanged(t.Context()); !errors.Is(err, storage.ErrChanged) {
			t.Fatalf("CheckUnchanged after a change = %v; want ErrChanged", err)
		}
	})
}

func TestStatusErrors(t *testing.T) {
	eachStore(t, func(t *testing.T, f fixture) {
		f.put(t, "secret/obj", []byte("x"))
		s := f.open(t, storage.Options{})
		_, err := s.OpenObject(t.Context(), "missing/obj")
		var se *storage.Error
		if !errors.Is(err, storage.ErrNotFound) || !errors.As(err, &se) || se.Status != 404 || !strings.Contains(err.Error(), "missing/obj") {
			t.Fatalf("open missing = %v; want a 404 naming the object", err)
		}
		deny := storage.Options{HTTPClient: &http.Client{Transport: statusTransport{next: http.DefaultTransport, status: http.StatusForbidden,
			match: func(r *http.Request) bool { return strings.Contains(r.URL.Path, "secret") }}}}
		_, err = f.open(t, deny).OpenObject(t.Context(), "secret/obj")
		if !errors.Is(err, storage.ErrPermission) || !errors.As(err, &se) || se.Status != 403 || !strings.Contains(err.Error(), "secret/obj") {
			t.Fatalf("open refused = %v; want a 403 naming the object", err)
		}
		if strings.Contains(err.Error(), "AKIA") || strings.Contains(err.Error(), "Eby8") {
			t.Fatalf("error shows a credential: %v", err)
		}
	})
}

func TestWriter(t *testing.T) {
	eachStore(t, func(t *testing.T, f fixture) {
		s := f.open(t, storage.Options{PartSize: 5 << 20})
		for _, n := range []int{0, 10, 5 << 20, 12<<20 + 7} {
			key := fmt.Sprintf("w/%d", n)
			data := pattern(uint64(n), n)
			w := s.Create(t.Context(), key)
			// odd-sized writes cross part boundaries
			for rest := data; len(rest) > 0; {
				k := min(len(rest), 777777)
				if _, err := w.Write(rest[:k]); err != nil {
					t.Fatal(err)
				}
				rest = rest[k:]
			}
			if err := w.Close(); err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			if got := readAll(t, s, key); !bytes.Equal(got, data) {
				t.Fatalf("%s: read back %d bytes, not the %d written", key, len(got), n)
			}
		}
		w := s.Create(t.Context(), "w/aborted")
		w.Write(pattern(9, 6<<20))
		w.Abort()
		if _, err := s.Stat(t.Context(), "w/aborted"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("aborted object: %v; want not found", err)
		}
	})
}

// files is an output's content: name to bytes.
type files map[string][]byte

func writeOutput(t *testing.T, ctx context.Context, out *storage.Output, fs files) {
	t.Helper()
	for _, name := range slices.Sorted(mapKeys(fs)) {
		w, err := out.Create(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(fs[name]); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func mapKeys(m files) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// checkOutput checks that prefix holds exactly fs and the manifest.
func checkOutput(t *testing.T, s *storage.Store, prefix string, fs files, manifest string) {
	t.Helper()
	want := []string{prefix + "/manifest.json"}
	for name := range fs {
		want = append(want, prefix+"/"+name)
	}
	slices.Sort(want)
	if got := keys(t, s, prefix+"/"); !slices.Equal(got, want) {
		t.Fatalf("%s holds %q; want %q", prefix, got, want)
	}
	for name, b := range fs {
		if got := readAll(t, s, prefix+"/"+name); !bytes.Equal(got, b) {
			t.Fatalf("%s/%s: wrong bytes", prefix, name)
		}
	}
	if got := string(readAll(t, s, prefix+"/manifest.json")); got != manifest {
		t.Fatalf("manifest = %q; want %q", got, manifest)
	}
}

func TestOutput(t *testing.T) {
	eachStore(t, func(t *testing.T, f fixture) {
		ctx := t.Context()
		s := f.open(t, storage.Options{PartSize: 5 << 20})
		first := files{"train/part-00000.parquet": pattern(10, 6<<20), "train/part-00001.parquet": pattern(11, 100), "test/part-00000.parquet": pattern(12, 10)}
		out, err := s.NewOutput(ctx, "runs/out", storage.OutputOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.NewOutput(ctx, "runs/out", storage.OutputOptions{}); !errors.Is(err, storage.ErrLocked) {
			t.Fatalf("second writer = %v; want ErrLocked", err)
		}
		writeOutput(t, ctx, out, first)
		if got := keys(t, s, "runs/out/"); len(got) != 0 {
			t.Fatalf("before commit the output shows %q", got)
		}
		if err := out.Commit(ctx, []byte(`{"run":1}`)); err != nil {
			t.Fatal(err)
		}
		checkOutput(t, s, "runs/out", first, `{"run":1}`)
		if got := keys(t, s, "runs/.out.splitdata/"); len(got) != 0 {
			t.Fatalf("after commit the hidden area holds %q", got)
		}

		// An existing output is refused without overwrite.
		if _, err := s.NewOutput(ctx, "runs/out", storage.OutputOptions{}); !errors.Is(err, storage.ErrExists) || !strings.Contains(err.Error(), "--overwrite") {
			t.Fatalf("existing output = %v; want ErrExists with a hint", err)
		}

		// With overwrite the old output stays whole until the commit.
		second := files{"train/part-00000.parquet": pattern(20, 50), "valid/part-00000.parquet": pattern(21, 60)}
		out, err = s.NewOutput(ctx, "runs/out", storage.OutputOptions{Overwrite: true})
		if err != nil {
			t.Fatal(err)
		}
		writeOutput(t, ctx, out, second)
		checkOutput(t, s, "runs/out", first, `{"run":1}`)
		if err := out.Commit(ctx, []byte(`{"run":2}`)); err != nil {
			t.Fatal(err)
		}
		checkOutput(t, s, "runs/out", second, `{"run":2}`)

		// An aborted overwrite leaves the output as it was.
		out, err = s.NewOutput(ctx, "runs/out", storage.OutputOptions{Overwrite: true})
		if err != nil {
			t.Fatal(err)
		}
		writeOutput(t, ctx, out, first)
		if err := out.Abort(ctx); err != nil {
			t.Fatal(err)
		}
		checkOutput(t, s, "runs/out", second, `{"run":2}`)
		if got := keys(t, s, "runs/.out.splitdata/"); len(got) != 0 {
			t.Fatalf("after abort the hidden area holds %q", got)
		}

		// Names outside the output are refused.
		out, err = s.NewOutput(ctx, "runs/other", storage.OutputOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"../x", "/abs", "a//b", "manifest.json", ""} {
			if _, err := out.Create(ctx, bad); err == nil {
				t.Errorf("Create(%q) succeeded", bad)
			}
		}
		out.Abort(ctx)
	})
}

// TestKilled kills runs (no Abort, the lock no longer refreshed) during
// the upload and during the publication; the next run takes the stale
// lock over, puts right what was left and commits cleanly.
func TestKilled(t *testing.T) {
	eachStore(t, func(t *testing.T, f fixture) {
		ctx := t.Context()
		s := f.open(t, storage.Options{PartSize: 5 << 20})
		old := files{"train/part-00000.parquet": pattern(30, 1000)}
		out, err := s.NewOutput(ctx, "out", storage.OutputOptions{})
		if err != nil {
			t.Fatal(err)
		}
		writeOutput(t, ctx, out, old)
		if err := out.Commit(ctx, []byte("old")); err != nil {
			t.Fatal(err)
		}

		// Killed during the upload: one file closed, one in flight.
		out, err = s.NewOutput(ctx, "out", storage.OutputOptions{Overwrite: true})
		if err != nil {
			t.Fatal(err)
		}
		writeOutput(t, ctx, out, files{"train/part-00000.parquet": pattern(31, 7<<20)})
		uctx, cancel := context.WithCancel(ctx)
		w, err := out.Create(uctx, "train/part-00001.parquet")
		if err != nil {
			t.Fatal(err)
		}
		w.Write(pattern(32, 6<<20)) // a part is on its way
		cancel()
		storage.Kill(out)
		checkOutput(t, s, "out", old, "old") // no new file visible, the old manifest kept

		// A live lock stops the next run; a stale one is taken over.
		if _, err := s.NewOutput(ctx, "out", storage.OutputOptions{Overwrite: true}); !errors.Is(err, storage.ErrLocked) {
			t.Fatalf("next run with a fresh lock = %v; want ErrLocked", err)
		}
		var notes []string
		stale := storage.OutputOptions{Overwrite: true, LockTTL: 1, LockRefresh: 1 << 40, Notice: func(s string) { notes = append(notes, s) }}
		out, err = s.NewOutput(ctx, "out", stale)
		if err != nil {
			t.Fatal(err)
		}
		// What the killed run left: staged objects (GCS), open uploads
		// (S3; Azure's uncommitted blocks cannot be listed and expire).
		left := map[string]string{"gcs": "removing", "s3": "aborting"}[f.name]
		if len(notes) < 1 || !strings.Contains(notes[0], "took over the lock") ||
			(left != "" && (len(notes) != 2 || !strings.Contains(notes[1], left))) {
			t.Fatalf("notices = %q; want the lock taken over and what the killed run left removed (%q)", notes, left)
		}
		if got := keys(t, s, ".out.splitdata/staging/"); len(got) != 0 {
			t.Fatalf("staging left: %q", got)
		}
		if open, err := storage.OpenUploads(ctx, s, "out/"); err != nil || len(open) != 0 {
			t.Fatalf("uploads left open: %q, %v", open, err)
		}
		next := files{"train/part-00000.parquet": pattern(33, 100), "test/part-00000.parquet": pattern(34, 100)}
		writeOutput(t, ctx, out, next)

		// Killed during the publication, after its commit point.
		restore := storage.StopPublishAfter(1)
		err = out.Commit(ctx, []byte("next"))
		restore()
		storage.Kill(out)
		if err == nil {
			t.Fatal("the commit stopped by the test succeeded")
		}
		if got := keys(t, s, "out/"); slices.Contains(got, "out/manifest.json") {
			t.Fatalf("a manifest is visible after a run killed before its end: %q", got)
		}
		notes = nil
		if err := s.Clean(ctx, "out", stale); err != nil {
			t.Fatal(err)
		}
		checkOutput(t, s, "out", next, "next")
		if got := keys(t, s, ".out.splitdata/"); len(got) != 0 {
			t.Fatalf("after clean the hidden area holds %q", got)
		}
	})
}
