package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/storage"
)

// TestBucketErrors checks the messages and exit codes of the mistakes a
// bucket run can meet.
func TestBucketErrors(t *testing.T) {
	b := s3Bucket(t)
	work := t.TempDir()
	genInput(t, filepath.Join(work, "in"))
	b.upload(t, filepath.Join(work, "in"), "in")
	in := filepath.Join(work, "in")
	runCLI(t, t.Context(), exitOK, "split", in, "--out", b.url("o"), "--seed", "1", "-q")
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"exists", []string{"split", in, "--out", b.url("o"), "--seed", "1"}, exitFailure,
			"splitdata: output exists: s3://bkt/o already exists and is not empty\nsplitdata: use --overwrite to replace it, or choose another --out\n"},
		{"missing input", []string{"split", b.url("nowhere"), "--out", b.url("p"), "--seed", "1"}, exitFailure,
			"splitdata: s3://bkt/nowhere: no such object, and no objects under it\n"},
		{"glob matches nothing", []string{"split", b.url("in/*.csv"), "--out", b.url("p"), "--seed", "1"}, exitFailure,
			"splitdata: s3://bkt/in/*.csv: the glob matches no object\n"},
		{"input inside output", []string{"split", b.url("in"), "--out", b.url(""), "--seed", "1", "--overwrite"}, exitFailure,
			"lies inside the output s3://bkt/; choose another --out"},
		{"unknown parameter", []string{"split", in, "--out", "s3://bkt/o?colour=red", "--seed", "1"}, exitUsage,
			`unknown parameter "colour"`},
		{"credentials in URL", []string{"split", "s3://key:secret@bkt/in", "--out", "o", "--seed", "1"}, exitUsage,
			"credentials do not go in the URL"},
		{"plan input inside output", []string{"plan", b.url("in"), "--out", b.url(""), "--seed", "1", "--shards", "2", "--overwrite"}, exitFailure,
			"lies inside the output s3://bkt/; choose another --out"},
		{"output inside input prefix", []string{"split", b.url("in"), "--out", b.url("in/splits"), "--seed", "1"}, exitUsage,
			"splitdata: --out s3://bkt/in/splits lies inside the input s3://bkt/in, so every later run on s3://bkt/in would read this output as input; choose an --out outside it\n"},
		{"output inside input bucket", []string{"split", b.url(""), "--out", b.url("p"), "--seed", "1"}, exitUsage,
			"--out s3://bkt/p lies inside the input s3://bkt/, so"},
		{"plan output inside input prefix", []string{"plan", b.url("in/"), "--out", b.url("in/job"), "--seed", "1", "--shards", "2"}, exitUsage,
			"--out s3://bkt/in/job lies inside the input s3://bkt/in/, so"},
		{"temp-dir inside output", []string{"split", in, "--out", b.url("t"), "--seed", "1", "--temp-dir", b.url("t/tmp")}, exitUsage,
			"--temp-dir s3://bkt/t/tmp lies inside the output s3://bkt/t; choose a prefix beside it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr := runCLI(t, t.Context(), tt.code, tt.args...)
			if !strings.Contains(stderr, tt.msg) {
				t.Errorf("stderr:\n%s\nwant it to hold:\n%s", stderr, tt.msg)
			}
			if strings.Contains(stderr, "secret") {
				t.Errorf("stderr shows a credential:\n%s", stderr)
			}
		})
	}
	for _, refused := range []string{"in/splits", "in/job", "p"} {
		if left := b.objects(t, refused); len(left) != 0 {
			t.Errorf("a refused run wrote %v under %s", slices.Sorted(maps.Keys(left)), refused)
		}
	}
	// The failed runs left their outputs unlocked and empty.
	for _, p := range []string{"p", "t"} {
		if got := b.objects(t, p); len(got) != 0 {
			t.Errorf("failed run left objects under %s: %v", p, got)
		}
	}
	runCLI(t, t.Context(), exitOK, "split", in, "--out", b.url("o"), "--seed", "1", "--overwrite", "-q")
	if strings.Contains(fmt.Sprint(b.objects(t, ".o.splitdata")), "lock") {
		t.Error("the lock outlived the run")
	}
}

// TestBucketIfExistsSkip checks --if-exists skip on a bucket --out: the
// manifest's presence is the sign of a committed output, which is kept
// untouched when it is this job's (and then verified with
// --verify-existing) and named as different otherwise; a prefix without
// one runs the job.
func TestBucketIfExistsSkip(t *testing.T) {
	b := s3Bucket(t)
	work := t.TempDir()
	in := filepath.Join(work, "in")
	genInput(t, in)
	job := []string{"split", in, "--seed", "1", "--if-exists", "skip", "--rows-per-file", "4000"}
	runCLI(t, t.Context(), exitOK, slices.Concat(job, []string{"--out", b.url("o"), "-q"})...) // nothing there: runs
	local := filepath.Join(work, "ref")
	runCLI(t, t.Context(), exitOK, slices.Concat(job, []string{"--out", local, "-q"})...)
	first, manifest := b.objects(t, "o"), b.read(t, "o/manifest.json")
	want := localFiles(t, local)
	delete(want, "manifest.json")
	delete(first, "manifest.json")
	if !maps.Equal(first, want) {
		t.Fatalf("skip run on an empty prefix:\n got %v\nwant %v", first, want)
	}
	for _, tt := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"same job", nil, exitOK, "s3://bkt/o already holds this job's output"},
		{"same job, rehashed", []string{"--verify-existing"}, exitOK, "s3://bkt/o already holds this job's output"},
		{"other seed", []string{"--seed", "2"}, exitFailure, "existing output is not this job's: s3://bkt/o: seed 1, this run's is 2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr := runCLI(t, t.Context(), tt.code, slices.Concat(job, []string{"--out", b.url("o")}, tt.args)...)
			if !strings.Contains(stderr, tt.msg) {
				t.Errorf("stderr:\n%s\nwant it to hold %q", stderr, tt.msg)
			}
			if !bytes.Equal(b.read(t, "o/manifest.json"), manifest) {
				t.Error("the manifest was rewritten")
			}
		})
	}
	// A damaged file is found by --verify-existing, and the output is kept.
	w := b.open(t).Create(t.Context(), "o/train/part-00000.parquet")
	w.Write([]byte("PAR1 not really PAR1"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, stderr := runCLI(t, t.Context(), exitFailure, slices.Concat(job, []string{"--out", b.url("o"), "--verify-existing"})...)
	if !strings.Contains(stderr, "existing output is not this job's: s3://bkt/o") || !strings.Contains(stderr, "train/part-00000.parquet") {
		t.Errorf("skip over a damaged file:\n%s", stderr)
	}
	// Objects but no manifest: refused as an existing output.
	w = b.open(t).Create(t.Context(), "stray/x.txt")
	w.Write([]byte("x"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, stderr = runCLI(t, t.Context(), exitFailure, slices.Concat(job, []string{"--out", b.url("stray")})...)
	if !strings.Contains(stderr, "s3://bkt/stray already exists and is not empty") {
		t.Errorf("skip over a prefix without a manifest:\n%s", stderr)
	}
	// Every skip released its lock.
	runCLI(t, t.Context(), exitOK, "split", in, "--seed", "1", "--out", b.url("o"), "--overwrite", "-q")
}

// TestBucketExitCodes checks the exit status of store failures: an
// output locked by a live run (on another host) and a request still
// failing for a passing reason after its retries are transient (75), a
// refusal is a failure (1).
func TestBucketExitCodes(t *testing.T) {
	b := s3Bucket(t)
	work := t.TempDir()
	genInput(t, filepath.Join(work, "in"))
	s := b.open(t)
	w := s.Create(t.Context(), ".o.splitdata/lock")
	w.Write([]byte(`{"run":"20261206T000000Z-0","host":"another-host","pid":1,"started":"2026-12-06T00:00:00Z"}`))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, stderr := runCLI(t, t.Context(), exitTransient, "split", filepath.Join(work, "in"), "--out", b.url("o"), "--seed", "1")
	if !strings.Contains(stderr, "output is locked by another run: s3://bkt/.o.splitdata/lock: run 20261206T000000Z-0 on another-host (pid 1)") {
		t.Errorf("locked output:\n%s", stderr)
	}
	if got := b.objects(t, "o"); len(got) != 0 {
		t.Errorf("a refused run wrote %v", got)
	}

	for _, tt := range []struct {
		err  error
		code int
	}{
		{&storage.Error{Op: "read", URL: "s3://b/k", Status: http.StatusServiceUnavailable, Err: errors.New("slow down")}, exitTransient},
		{&storage.Error{Op: "read", URL: "s3://b/k", Status: http.StatusTooManyRequests, Err: errors.New("throttled")}, exitTransient},
		{fmt.Errorf("write: %w", &storage.Error{Op: "write", URL: "s3://b/k", Err: io.ErrUnexpectedEOF}), exitTransient},
		{&storage.Error{Op: "read", URL: "s3://b/k", Status: http.StatusForbidden, Err: storage.ErrPermission}, exitFailure},
		{&storage.Error{Op: "read", URL: "s3://b/k", Status: http.StatusNotFound, Err: storage.ErrNotFound}, exitFailure},
		{fmt.Errorf("%w: s3://b/o", storage.ErrLocked), exitTransient},
	} {
		if got := exitCode(t.Context(), tt.err); got != tt.code {
			t.Errorf("exit code of %v: %d, want %d", tt.err, got, tt.code)
		}
	}
}

// TestBucketCleanNothing checks that clean on a bucket prefix says, in the
// words of a local directory's, whether there was anything to clean: a
// prefix with no objects and nothing beside it had nothing (and is left
// without even a lock), one with a killed run's leftovers beside it is
// cleaned of them, and an output is cleaned.
func TestBucketCleanNothing(t *testing.T) {
	for _, mk := range []func(*testing.T) *bucket{s3Bucket, gcsBucket} {
		t.Run(storeName(mk), func(t *testing.T) {
			b := mk(t)
			work := t.TempDir()
			genInput(t, filepath.Join(work, "in"))
			runCLI(t, t.Context(), exitOK, "split", filepath.Join(work, "in"), "--out", b.url("o"), "--seed", "1", "-q")
			s := b.open(t)
			w := s.Create(t.Context(), "a/.gone.splitdata/staging/20261206T000000Z-0/train/part-00000.parquet")
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			bare := func(key string) string { u, _, _ := strings.Cut(b.url(key), "?"); return u }
			before, err := s.List(t.Context(), "")
			if err != nil {
				t.Fatal(err)
			}
			tests := []struct {
				name, dir, want string
				removed         int // objects the clean removes
			}{
				{"no such prefix", "nosuch", "nothing to clean: " + bare("nosuch") + " does not exist, and no run left anything beside it\n", 0},
				{"nested, trailing slash", "x/y/", "nothing to clean: " + bare("x/y/") + " does not exist, and no run left anything beside it\n", 0},
				{"prefix of an output's name", "o/train/part", "nothing to clean: " + bare("o/train/part") + " does not exist, and no run left anything beside it\n", 0},
				{"leftovers beside", "a/gone", "cleaned " + bare("a/gone") + ", which does not exist: nothing an interrupted run left remains beside it\n", 1},
				{"an output", "o", "cleaned " + bare("o") + ": nothing an interrupted run left remains beside it\n", 0},
			}
			for _, tt := range tests {
				stdout, _ := runCLI(t, t.Context(), exitOK, "clean", b.url(tt.dir))
				if stdout != tt.want {
					t.Errorf("%s: clean printed %q, want %q", tt.name, stdout, tt.want)
				}
				after, err := s.List(t.Context(), "")
				if err != nil {
					t.Fatal(err)
				}
				if len(after) != len(before)-tt.removed {
					t.Errorf("%s: clean left %d objects in the bucket, want %d", tt.name, len(after), len(before)-tt.removed)
				}
				before = after
				stdout, _ = runCLI(t, t.Context(), exitOK, "clean", b.url(tt.dir), "-q")
				if stdout != "" {
					t.Errorf("%s: clean -q printed %q", tt.name, stdout)
				}
			}
		})
	}
}
