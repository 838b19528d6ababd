package pipeline_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/splitter"
)

// memOutput is an Output that keeps its files in memory: what a caller's
// own sink (an upload, a row counter) looks like to the engine.
type memOutput struct {
	mu        sync.Mutex
	files     map[string]*bytes.Buffer
	closed    map[string]bool
	manifest  []byte
	committed bool
	aborted   bool
}

func newMemOutput() *memOutput {
	return &memOutput{files: map[string]*bytes.Buffer{}, closed: map[string]bool{}}
}

type memFile struct {
	o    *memOutput
	name string
	*bytes.Buffer
}

func (f memFile) Close() error {
	f.o.mu.Lock()
	defer f.o.mu.Unlock()
	f.o.closed[f.name] = true
	return nil
}

func (o *memOutput) Create(_ context.Context, name string) (io.WriteCloser, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.files[name]; ok {
		return nil, fmt.Errorf("%s created twice", name)
	}
	b := &bytes.Buffer{}
	o.files[name] = b
	return memFile{o, name, b}, nil
}

func (o *memOutput) Commit(_ context.Context, manifest []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for name := range o.files {
		if !o.closed[name] {
			return fmt.Errorf("%s committed open", name)
		}
	}
	o.manifest, o.committed = manifest, true
	return nil
}

func (o *memOutput) Abort(context.Context) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.committed {
		o.files, o.aborted = nil, true
	}
	return nil
}

var _ pipeline.Output = (*memOutput)(nil)

// TestSplitToOwnOutput runs jobs into an Output of the caller's and into a
// directory: the same files, byte for byte, the manifest last, for an
// in-order split and for shuffles held in memory and spilled (whose spill
// files then go to the system's temporary directory, not the output).
func TestSplitToOwnOutput(t *testing.T) {
	in := genInput(t, 3000, 2, 500)
	splits, err := splitter.ParseRatios("train=0.7,test=0.3")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		shuffle bool
		memory  int64
	}{
		{"input order", false, 0},
		{"shuffle in memory", true, 0},
		{"shuffle spilled", true, 64 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := pipeline.SplitConfig{Inputs: []string{in}, Seed: "7", Splits: splits, Shuffle: tc.shuffle,
				JobOptions: pipeline.JobOptions{ShuffleMemory: tc.memory, RowsPerFile: 1000, RowGroupRows: 300, Workers: 2}}
			want := runSplit(t, cfg)
			out := newMemOutput()
			got, err := pipeline.SplitTo(t.Context(), cfg, out)
			if err != nil {
				t.Fatal(err)
			}
			if !out.committed || out.aborted {
				t.Fatalf("committed %v, aborted %v; want committed only", out.committed, out.aborted)
			}
			if fingerprint(got) != fingerprint(want) {
				t.Errorf("manifest files differ:\n%s\nwant\n%s", fingerprint(got), fingerprint(want))
			}
			var names []string
			for _, s := range want.Splits {
				for _, f := range s.Files {
					names = append(names, f.Path)
					b, ok := out.files[f.Path]
					if !ok {
						t.Fatalf("%s not written", f.Path)
					}
					sum := sha256.Sum256(b.Bytes())
					if hex.EncodeToString(sum[:]) != f.SHA256 {
						t.Errorf("%s: bytes differ from the directory's", f.Path)
					}
				}
			}
			if got := slices.Sorted(maps.Keys(out.files)); !slices.Equal(got, slices.Sorted(slices.Values(names))) {
				t.Errorf("files %q, want %q", got, names)
			}
			var m pipeline.Manifest
			if err := json.Unmarshal(out.manifest, &m); err != nil || m.Rows != 3000 {
				t.Errorf("manifest of %d rows (%v), want 3000", m.Rows, err)
			}
		})
	}
}

// TestSplitToAbortsOnFailure: a job that fails aborts the caller's
// output and commits nothing.
func TestSplitToAbortsOnFailure(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.parquet")
	if err := os.WriteFile(bad, []byte("PAR1 not a parquet file PAR1"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := newMemOutput()
	_, err := pipeline.SplitTo(t.Context(), pipeline.SplitConfig{Inputs: []string{bad}, Seed: "1"}, out)
	if err == nil {
		t.Fatal("a split of a damaged file succeeded")
	}
	if out.committed || !out.aborted {
		t.Errorf("committed %v, aborted %v; want aborted only", out.committed, out.aborted)
	}
	if _, err := pipeline.SplitTo(t.Context(), pipeline.SplitConfig{Inputs: []string{bad}}, nil); !errors.Is(err, pipeline.ErrUsage) {
		t.Errorf("nil output: err = %v, want ErrUsage", err)
	}
}

// TestJobsToOwnOutput: shuffle, sample and kfold write to an Output of the
// caller's through JobOptions.Output the files they write to a directory,
// byte for byte, and commit it.
func TestJobsToOwnOutput(t *testing.T) {
	in := genInput(t, 2000, 2, 500)
	opts := pipeline.JobOptions{RowsPerFile: 700, RowGroupRows: 250, Workers: 2}
	for _, tc := range []struct {
		name string
		run  func(out string, o pipeline.Output) (*pipeline.Manifest, error)
	}{
		{"shuffle", func(out string, o pipeline.Output) (*pipeline.Manifest, error) {
			jo := opts
			jo.Output = o
			return pipeline.Shuffle(t.Context(), pipeline.ShuffleConfig{Inputs: []string{in}, Out: out, Seed: "5", JobOptions: jo})
		}},
		{"sample", func(out string, o pipeline.Output) (*pipeline.Manifest, error) {
			jo := opts
			jo.Output = o
			return pipeline.Sample(t.Context(), pipeline.SampleConfig{Inputs: []string{in}, Out: out, Seed: "5", Rows: 333, JobOptions: jo})
		}},
		{"kfold", func(out string, o pipeline.Output) (*pipeline.Manifest, error) {
			jo := opts
			jo.Output = o
			return pipeline.KFold(t.Context(), pipeline.KFoldConfig{Inputs: []string{in}, Out: out, Seed: "5", K: 3, JobOptions: jo})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := tc.run(filepath.Join(t.TempDir(), "out"), nil)
			if err != nil {
				t.Fatal(err)
			}
			o := newMemOutput()
			got, err := tc.run("", o)
			if err != nil {
				t.Fatal(err)
			}
			if !o.committed || o.aborted {
				t.Fatalf("committed %v, aborted %v; want committed only", o.committed, o.aborted)
			}
			if fingerprint(got) != fingerprint(want) {
				t.Errorf("manifest files differ:\n%s\nwant\n%s", fingerprint(got), fingerprint(want))
			}
			n := 0
			for _, s := range want.Splits {
				for _, f := range s.Files {
					n++
					b, ok := o.files[f.Path]
					if !ok {
						t.Fatalf("%s not written", f.Path)
					}
					if sum := sha256.Sum256(b.Bytes()); hex.EncodeToString(sum[:]) != f.SHA256 {
						t.Errorf("%s: bytes differ from the directory's", f.Path)
					}
				}
			}
			if len(o.files) != n {
				t.Errorf("%d files written, want %d", len(o.files), n)
			}
		})
	}
}
