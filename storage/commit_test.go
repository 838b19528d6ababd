package storage_test

import (
	"fmt"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/splitdata/splitdata/storage"
)

// commitOld and commitNew are the outputs the commit tests replace one by
// the other: a file replaced (two parts), one removed, one added, an
// empty one.
var (
	commitOld = files{"train/part-00000.parquet": pattern(50, 1000), "valid/part-00000.parquet": pattern(51, 300)}
	commitNew = files{
		"train/part-00000.parquet": pattern(52, 6<<20+9),
		"test/part-00000.parquet":  pattern(53, 777),
		"test/empty.csv":           {},
	}
)

// stale are the options of a run that takes over the lock of a killed one
// at once.
func stale(notes *[]string) storage.OutputOptions {
	return storage.OutputOptions{Overwrite: true, LockTTL: 1, LockRefresh: 1 << 40,
		Notice: func(s string) { *notes = append(*notes, s) }}
}

// commitFiles writes fs to prefix as a complete run.
func commitFiles(t *testing.T, s *storage.Store, prefix string, fs files, manifest string, opts storage.OutputOptions) {
	t.Helper()
	out, err := s.NewOutput(t.Context(), prefix, opts)
	if err != nil {
		t.Fatal(err)
	}
	writeOutput(t, t.Context(), out, fs)
	if err := out.Commit(t.Context(), []byte(manifest)); err != nil {
		t.Fatal(err)
	}
}

// checkNoOpenUploads checks that no upload is left open under prefix
// (S3; the other stores list none).
func checkNoOpenUploads(t *testing.T, s *storage.Store, prefix string) {
	t.Helper()
	if open, err := storage.OpenUploads(t.Context(), s, prefix); err != nil || len(open) != 0 {
		t.Fatalf("uploads left open under %s: %q, %v", prefix, open, err)
	}
}

// TestKilledBeforeCommitPoint abandons a run with every file written and
// closed, without Commit or Abort: nothing of it is visible, the old
// output stays whole, and the next run takes the lock over, aborts the
// open uploads (S3) and commits cleanly.
func TestKilledBeforeCommitPoint(t *testing.T) {
	eachStore(t, func(t *testing.T, f fixture) {
		ctx := t.Context()
		s := f.open(t, storage.Options{PartSize: 5 << 20})
		commitFiles(t, s, "out", commitOld, "old", storage.OutputOptions{})
		out, err := s.NewOutput(ctx, "out", storage.OutputOptions{Overwrite: true})
		if err != nil {
			t.Fatal(err)
		}
		writeOutput(t, ctx, out, commitNew)
		storage.Kill(out)
		checkOutput(t, s, "out", commitOld, "old")
		if open, _ := storage.OpenUploads(ctx, s, "out/"); f.name == "s3" && len(open) != 2 {
			t.Fatalf("open uploads of the killed run: %q; want its two non-empty files'", open)
		}
		var notes []string
		commitFiles(t, s, "out", commitNew, "new", stale(&notes))
		checkOutput(t, s, "out", commitNew, "new")
		checkNoOpenUploads(t, s, "out/")
		if got := keys(t, s, ".out.splitdata/"); len(got) != 0 {
			t.Fatalf("hidden area after the next run: %q", got)
		}
		if f.name == "s3" && !slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, "aborting 2 uploads") }) {
			t.Fatalf("notices %q do not say the killed run's uploads were aborted", notes)
		}
	})
}

// TestAbortOpenInBatches has the next run abort the three open uploads
// of a killed run that left no markers (as 0.6.0's runs), one per listing
// of the prefix (S3): all are aborted, in three rounds, and the notice
// says the first round's count is a lower bound.
func TestAbortOpenInBatches(t *testing.T) {
	eachStore(t, func(t *testing.T, f fixture) {
		if f.name != "s3" {
			t.Skip("only S3 lists open uploads")
		}
		storage.SetAbortBatch(t, 1)
		ctx := t.Context()
		s := f.open(t, storage.Options{PartSize: 5 << 20})
		out, err := s.NewOutput(ctx, "out", storage.OutputOptions{})
		if err != nil {
			t.Fatal(err)
		}
		three := maps.Clone(commitNew)
		three["c/extra.parquet"] = pattern(54, 1000)
		writeOutput(t, ctx, out, three)
		storage.Kill(out)
		open, err := storage.OpenUploads(ctx, s, "out/")
		if err != nil || len(open) != 3 {
			t.Fatalf("open uploads of the killed run: %q, %v; want 3", open, err)
		}
		marks := keys(t, s, ".out.splitdata/staging/")
		if len(marks) != len(three) {
			t.Fatalf("markers of the killed run: %q; want one per file", marks)
		}
		for _, k := range marks {
			if err := s.Remove(ctx, k); err != nil {
				t.Fatal(err)
			}
		}
		var notes []string
		commitFiles(t, s, "out", commitNew, "new", stale(&notes))
		checkOutput(t, s, "out", commitNew, "new")
		checkNoOpenUploads(t, s, "out/")
		if !slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, "aborting 1 or more uploads") }) {
			t.Fatalf("notices %q do not say the first batch of uploads was aborted", notes)
		}
	})
}

// TestRootAbortsOnlyItsUploads kills a run at a bucket's root and one
// at another prefix of the bucket (S3): the next run at the root aborts
// the uploads its killed run's markers name, and leaves the other
// prefix's open, as it would another tool's.
func TestRootAbortsOnlyItsUploads(t *testing.T) {
	eachStore(t, func(t *testing.T, f fixture) {
		if f.name != "s3" {
			t.Skip("only S3 lists open uploads")
		}
		ctx := t.Context()
		s := f.open(t, storage.Options{PartSize: 5 << 20})
		kill := func(prefix string, fs files) {
			out, err := s.NewOutput(ctx, prefix, storage.OutputOptions{Overwrite: true})
			if err != nil {
				t.Fatal(err)
			}
			writeOutput(t, ctx, out, fs)
			storage.Kill(out)
		}
		kill("elsewhere", commitNew)
		kill("", files{"r/part-00000.parquet": pattern(55, 6<<20+1), "r/part-00001.parquet": pattern(56, 100)})
		var notes []string
		out, err := s.NewOutput(ctx, "", stale(&notes))
		if err != nil {
			t.Fatal(err)
		}
		if err := out.Abort(ctx); err != nil {
			t.Fatal(err)
		}
		checkNoOpenUploads(t, s, "r/")
		if open, err := storage.OpenUploads(ctx, s, "elsewhere/"); err != nil || len(open) != 2 {
			t.Fatalf("open uploads under elsewhere/: %q, %v; want the killed run's two", open, err)
		}
		if got := keys(t, s, ".splitdata/staging/"); len(got) != 0 {
			t.Fatalf("markers left at the root: %q", got)
		}
		if !slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, "aborting 2 uploads") }) {
			t.Fatalf("notices %q do not say the killed run's uploads were aborted", notes)
		}
	})
}

// TestKilledAfterCommitPoint stops a publication at each of its steps,
// as a kill would, and has the next run on the prefix or Clean finish
// it: the output then holds exactly the bytes a run not killed gives,
// and nothing is left open or hidden.
func TestKilledAfterCommitPoint(t *testing.T) {
	type stop struct {
		step string
		n    int
	}
	stops := []stop{{storage.StepStart, 0}, {storage.StepManifestRemoved, 0}, {storage.StepOldRemoved, 0},
		{storage.StepFile, 1}, {storage.StepFile, 2}, {storage.StepFile, 3}, {storage.StepManifest, 0}}
	eachStore(t, func(t *testing.T, f fixture) {
		s := f.open(t, storage.Options{PartSize: 5 << 20})
		for i, st := range stops {
			for _, finisher := range []string{"clean", "next run"} {
				t.Run(fmt.Sprintf("%s-%d/%s", st.step, st.n, finisher), func(t *testing.T) {
					ctx := t.Context()
					prefix := fmt.Sprintf("k%d-%s", i, strings.ReplaceAll(finisher, " ", ""))
					commitFiles(t, s, prefix, commitOld, "old", storage.OutputOptions{})
					out, err := s.NewOutput(ctx, prefix, storage.OutputOptions{Overwrite: true})
					if err != nil {
						t.Fatal(err)
					}
					writeOutput(t, ctx, out, commitNew)
					restore := storage.StopPublishAt(st.step, st.n)
					err = out.Commit(ctx, []byte("new"))
					restore()
					storage.Kill(out)
					if err == nil {
						t.Fatal("the commit stopped by the test succeeded")
					}
					switch st.step {
					case storage.StepStart: // nothing done yet: the old output is whole
						checkOutput(t, s, prefix, commitOld, "old")
					case storage.StepManifest: // all done but the cleanup
						checkOutput(t, s, prefix, commitNew, "new")
					default:
						if slices.Contains(keys(t, s, prefix+"/"), prefix+"/manifest.json") {
							t.Fatal("a manifest is visible while the publication is unfinished")
						}
					}
					var notes []string
					if finisher == "clean" {
						if err := s.Clean(ctx, prefix, stale(&notes)); err != nil {
							t.Fatal(err)
						}
						checkOutput(t, s, prefix, commitNew, "new")
					} else {
						// The next run finds the output committed: it
						// exists, and is replaced again.
						next := files{"other/part-00000.parquet": pattern(54, 99)}
						commitFiles(t, s, prefix, next, "next", stale(&notes))
						checkOutput(t, s, prefix, next, "next")
					}
					if !slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, "finishing the commit") }) {
						t.Fatalf("notices %q do not say the commit was finished", notes)
					}
					checkNoOpenUploads(t, s, prefix+"/")
					if got := keys(t, s, "."+prefix+".splitdata/"); len(got) != 0 {
						t.Fatalf("hidden area after the finish: %q", got)
					}
				})
			}
		}
	})
}

// lostAnswers is a transport that, on the requests only selects, fails
// every other one: alternately a 503 before the request is sent, or a
// dropped connection after the store has done it (the answer is lost).
type lostAnswers struct {
	next    http.RoundTripper
	only    func(*http.Request) bool
	n, lost atomic.Int64
}

func (l *lostAnswers) RoundTrip(req *http.Request) (*http.Response, error) {
	if !l.only(req) {
		return l.next.RoundTrip(req)
	}
	k := l.n.Add(1)
	switch k % 4 {
	case 1:
		drain(req)
		return &http.Response{StatusCode: http.StatusServiceUnavailable, Status: "503 Service Unavailable",
			Header: http.Header{"Content-Type": {"application/xml"}}, Request: req, ProtoMajor: 1, ProtoMinor: 1,
			Body: http.NoBody}, nil
	case 2:
		resp, err := l.next.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		resp.Body.Close()
		l.lost.Add(1)
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	case 3:
		time.Sleep(10 * time.Millisecond)
	}
	return l.next.RoundTrip(req)
}

// completion selects the requests that complete an upload (S3's POST
// ?uploadId, Azure's PUT ?comp=blocklist) or copy a staged file (GCS's
// rewrite) and those that write the commit record or the manifest.
func completion(req *http.Request) bool {
	q := req.URL.Query()
	return (req.Method == http.MethodPost && q.Has("uploadId")) || q.Get("comp") == "blocklist" ||
		strings.Contains(req.URL.Path, "/rewriteTo/") || strings.Contains(req.URL.Path, "/copyTo/") ||
		strings.HasSuffix(req.URL.Path, "/commit") || strings.HasSuffix(req.URL.Path, "/manifest.json") ||
		strings.HasSuffix(q.Get("name"), "/commit") || strings.HasSuffix(q.Get("name"), "/manifest.json")
}

// TestFaultsDuringCompletion makes the requests after the upload (the
// conditional writes of the commit record, the completions or copies,
// the manifest) fail, a quarter of them after the store did the request
// (its answer lost), a quarter answered 503, a quarter held back: the
// output still holds the bytes written.
func TestFaultsDuringCompletion(t *testing.T) {
	eachStore(t, func(t *testing.T, f fixture) {
		ctx := t.Context()
		la := &lostAnswers{next: http.DefaultTransport, only: completion}
		s := f.open(t, storage.Options{HTTPClient: &http.Client{Transport: la}, PartSize: 5 << 20,
			Retry: storage.Retry{Attempts: 10, Base: time.Millisecond, Max: 5 * time.Millisecond}})
		clean := f.open(t, storage.Options{})
		commitFiles(t, clean, "out", commitOld, "old", storage.OutputOptions{})
		out, err := s.NewOutput(ctx, "out", storage.OutputOptions{Overwrite: true})
		if err != nil {
			t.Fatal(err)
		}
		writeOutput(t, ctx, out, commitNew)
		if err := out.Commit(ctx, []byte("new")); err != nil {
			t.Fatal(err)
		}
		checkOutput(t, clean, "out", commitNew, "new")
		checkNoOpenUploads(t, clean, "out/")
		if la.lost.Load() == 0 {
			t.Fatal("no answer was lost: the test tests nothing")
		}
		t.Logf("%d requests selected, %d answers lost", la.n.Load(), la.lost.Load())
	})
}
