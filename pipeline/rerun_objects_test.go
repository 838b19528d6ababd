package pipeline_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
)

// objectStore returns the files of the input directory in as objects of
// a store in memory, by location, each with a version, and their
// locations in order.
func objectStore(t *testing.T, in string) (*memObjects, []string) {
	t.Helper()
	entries, err := os.ReadDir(in)
	if err != nil {
		t.Fatal(err)
	}
	store := &memObjects{data: map[string][]byte{}, version: map[string]string{}}
	var locations []string
	for i, e := range entries {
		d, err := os.ReadFile(filepath.Join(in, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		l := "bkt/in/" + e.Name()
		store.data[l], store.version[l] = d, fmt.Sprintf("v%d", i)
		locations = append(locations, l)
	}
	return store, locations
}

// TestManifestRecordsObjects checks that a job's manifest records each
// ObjectInput's location and version, as a plan does, beside its name
// and size; a local file gets none, and the manifest parses.
func TestManifestRecordsObjects(t *testing.T) {
	store, locations := objectStore(t, genInput(t, 600, 3, 100))
	local := genInput(t, 100, 1, 50)
	out := filepath.Join(t.TempDir(), "out")
	m, err := pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{local}, Out: out, Seed: "1",
		JobOptions: pipeline.JobOptions{Sources: store.inputs(locations)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Inputs) != 1+len(locations) {
		t.Fatalf("%d inputs recorded, want %d", len(m.Inputs), 1+len(locations))
	}
	if in := m.Inputs[0]; in.Location != "" || in.Version != "" || in.EndsSHA256 == "" {
		t.Errorf("local input recorded as %+v", in)
	}
	for i, l := range locations {
		in := m.Inputs[1+i]
		if in.Path != "mem://"+l || in.Location != l || in.Version != store.version[l] || in.Size != int64(len(store.data[l])) || !in.ModTime.IsZero() {
			t.Errorf("object %s recorded as %+v", l, in)
		}
	}
	read, err := pipeline.ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(read.Inputs, m.Inputs) {
		t.Errorf("manifest read back holds inputs %+v, the job returned %+v", read.Inputs, m.Inputs)
	}
}

// TestCommittedObjects checks the rerun check of a job whose inputs are
// objects: the same objects are the job's output (no byte of them read:
// the readers are swapped for ones that fail); an object replaced, added,
// removed, reordered, reached otherwise, without a version, or an input
// given as a plain value, is a difference named in the error.
func TestCommittedObjects(t *testing.T) {
	type change func(t *testing.T, s *memObjects, locations []string, cfg *pipeline.SplitConfig)
	inputs := func(s *memObjects, locations []string) []pipeline.Input { return s.inputs(locations) }
	cases := []struct {
		name   string
		change change
		want   []string // empty: the output is the job's
	}{
		{"same objects", nil, nil},
		{"replaced", func(t *testing.T, s *memObjects, locations []string, cfg *pipeline.SplitConfig) {
			l := locations[1]
			s.version[l] = "v9"
			s.data[l] = append(s.data[l], 0)
			cfg.Sources = inputs(s, locations)
		}, []string{"input mem://bkt/in/part-00001.parquet changed: version v9, the output was made from version v1, "}},
		{"new version, same size", func(t *testing.T, s *memObjects, locations []string, cfg *pipeline.SplitConfig) {
			l := locations[2]
			cfg.Sources[2] = pipeline.ObjectInput("mem://"+l, l, "v2b", bytes.NewReader(nil), int64(len(s.data[l])))
		}, []string{"input mem://bkt/in/part-00002.parquet changed: version v2b, the output was made from version v2"}},
		{"added", func(t *testing.T, s *memObjects, locations []string, cfg *pipeline.SplitConfig) {
			l := "bkt/in/part-00009.parquet"
			s.data[l], s.version[l] = s.data[locations[0]], "v7"
			cfg.Sources = inputs(s, append(locations, l))
		}, []string{"3 inputs, this run has 4", "input mem://bkt/in/part-00009.parquet is new (the output was not made from it)"}},
		{"removed", func(t *testing.T, s *memObjects, locations []string, cfg *pipeline.SplitConfig) {
			cfg.Sources = inputs(s, slices.Delete(slices.Clone(locations), 1, 2))
		}, []string{"3 inputs, this run has 2", "input mem://bkt/in/part-00001.parquet is gone (the output was made from it)"}},
		{"reordered", func(t *testing.T, s *memObjects, locations []string, cfg *pipeline.SplitConfig) {
			l := slices.Clone(locations)
			l[0], l[2] = l[2], l[0]
			cfg.Sources = inputs(s, l)
		}, []string{"the inputs come in another order"}},
		{"other URL parameters", func(t *testing.T, s *memObjects, locations []string, cfg *pipeline.SplitConfig) {
			cfg.Sources[0] = pipeline.ObjectInput("mem://"+locations[0], locations[0]+"?endpoint=http://other:9000", "v0", bytes.NewReader(nil), int64(len(s.data[locations[0]])))
		}, []string{"input mem://bkt/in/part-00000.parquet changed: opened with other URL parameters (endpoint, region, path style) than the output's"}},
		{"no version from the store", func(t *testing.T, s *memObjects, locations []string, cfg *pipeline.SplitConfig) {
			cfg.Sources[2] = pipeline.ObjectInput("mem://"+locations[2], locations[2], "", bytes.NewReader(nil), int64(len(s.data[locations[2]])))
		}, []string{"part-00002.parquet: the store gives no version of it"}},
		{"a plain value", func(t *testing.T, s *memObjects, locations []string, cfg *pipeline.SplitConfig) {
			cfg.Sources[2] = pipeline.ReaderAtInput("mem://"+locations[2], bytes.NewReader(nil), 0)
		}, []string{"part-00002.parquet: given as a value (not a file or a bucket object)"}},
		{"manifest without versions", func(t *testing.T, s *memObjects, locations []string, cfg *pipeline.SplitConfig) {
			m, err := pipeline.ReadManifest(cfg.Out)
			if err != nil {
				t.Fatal(err)
			}
			for i := range m.Inputs {
				m.Inputs[i].Location, m.Inputs[i].Version = "", ""
			}
			writeManifest(t, cfg.Out, m)
		}, []string{"part-00000.parquet: the manifest records no version of it"}},
		{"a local file of the object's name", func(t *testing.T, s *memObjects, locations []string, cfg *pipeline.SplitConfig) {
			m, err := pipeline.ReadManifest(cfg.Out)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			p := filepath.Join(dir, "part-00000.parquet")
			if err := os.WriteFile(p, s.data[locations[0]], 0o644); err != nil {
				t.Fatal(err)
			}
			m.Inputs = m.Inputs[:1]
			m.Inputs[0].Path, m.Rows = p, m.Inputs[0].Rows
			writeManifest(t, cfg.Out, m)
			cfg.Sources, cfg.Inputs = nil, []string{p}
		}, []string{"the output was made from a bucket object of that name, this run reads a local file"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store, locations := objectStore(t, genInput(t, 600, 3, 100))
			cfg := pipeline.SplitConfig{Out: filepath.Join(t.TempDir(), "out"), Seed: "3",
				JobOptions: pipeline.JobOptions{Sources: store.inputs(locations)}}
			want, err := pipeline.Split(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			// The check reads no object: readers that fail would say so.
			for i, l := range locations {
				cfg.Sources[i] = pipeline.ObjectInput("mem://"+l, l, store.version[l], failingReader{}, int64(len(store.data[l])))
			}
			if tc.change != nil {
				tc.change(t, store, locations, &cfg)
			}
			for _, hashes := range []bool{false, true} {
				m, err := cfg.Committed(t.Context(), hashes)
				if len(tc.want) == 0 {
					if err != nil || m == nil || m.Created != want.Created {
						t.Fatalf("hashes %v: Committed = %v, %v; want the run's manifest", hashes, m, err)
					}
					continue
				}
				if m != nil || !errors.Is(err, pipeline.ErrOutputDiffers) {
					t.Fatalf("hashes %v: Committed = %v, %v; want ErrOutputDiffers", hashes, m, err)
				}
				for _, w := range tc.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("hashes %v: error\n%v\ndoes not name %q", hashes, err, w)
					}
				}
			}
		})
	}
}

// failingReader is an object's data that must not be read.
type failingReader struct{}

func (failingReader) ReadAt([]byte, int64) (int, error) {
	return 0, errors.New("the rerun check read an object")
}

// writeManifest replaces the manifest of the output dir by m.
func writeManifest(t *testing.T, dir string, m *pipeline.Manifest) {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, pipeline.ManifestName), b, 0o644); err != nil {
		t.Fatal(err)
	}
}
