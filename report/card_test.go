package report_test

import (
	"bytes"
	"context"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/splitdata/splitdata/internal/gendata"
	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/report"
	"github.com/splitdata/splitdata/splitter"
)

// cardMeta is the part of a dataset card's YAML front matter splitdata
// writes. The field names and their nesting are those of the Hugging
// Face Hub's dataset card metadata:
//   - https://huggingface.co/docs/hub/datasets-cards (the card, README.md, and its YAML block)
//   - https://github.com/huggingface/hub-docs/blob/main/datasetcard.md (the field list:
//     pretty_name, tags, configs, dataset_info with features, splits, download_size, dataset_size)
//   - https://huggingface.co/docs/hub/datasets-data-files-configuration and
//     https://huggingface.co/docs/datasets/repository_structure (configs: config_name, default,
//     data_files as a list of {split, path}, path a glob or a list of globs)
type cardMeta struct {
	PrettyName string   `yaml:"pretty_name"`
	Tags       []string `yaml:"tags"`
	Configs    []struct {
		ConfigName string `yaml:"config_name"`
		Default    bool   `yaml:"default"`
		DataFiles  []struct {
			Split string    `yaml:"split"`
			Path  yaml.Node `yaml:"path"`
		} `yaml:"data_files"`
	} `yaml:"configs"`
	DatasetInfo struct {
		Features []struct {
			Name  string `yaml:"name"`
			Dtype string `yaml:"dtype"`
		} `yaml:"features"`
		Splits []struct {
			Name        string `yaml:"name"`
			NumBytes    int64  `yaml:"num_bytes"`
			NumExamples int64  `yaml:"num_examples"`
		} `yaml:"splits"`
		DownloadSize int64 `yaml:"download_size"`
		DatasetSize  int64 `yaml:"dataset_size"`
	} `yaml:"dataset_info"`
}

// hfSplitName is the pattern Hugging Face datasets requires of a split name.
var hfSplitName = regexp.MustCompile(`^\w+(\.\w+)*$`)

func globs(t *testing.T, n yaml.Node) []string {
	t.Helper()
	var one string
	if n.Decode(&one) == nil {
		return []string{one}
	}
	var many []string
	if err := n.Decode(&many); err != nil {
		t.Fatalf("path: %v", err)
	}
	return many
}

// TestCard decodes the cards of a split and of a k-fold output with a
// strict YAML decoder (no field outside the documented ones) and checks
// that every split and fold loads by name, that each config's globs match
// exactly its split's files, and that the features and sizes are the
// schema's and the manifest's; then that CheckCard refuses a changed one.
func TestCard(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	in := filepath.Join(tmp, "in")
	if _, err := gendata.Write(ctx, in, gendata.Config{Rows: 3000, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	jobs := map[string]func(out string) (*pipeline.Manifest, error){
		"split": func(out string) (*pipeline.Manifest, error) {
			return pipeline.Split(ctx, pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "1",
				Splits:     []splitter.Split{{Name: "train", Ratio: 0.7}, {Name: "dev-set", Ratio: 0.3}},
				JobOptions: pipeline.JobOptions{Attach: report.Attach(report.Options{}, false, true)}})
		},
		"kfold": func(out string) (*pipeline.Manifest, error) {
			return pipeline.KFold(ctx, pipeline.KFoldConfig{Inputs: []string{in}, Out: out, Seed: "1", K: 3,
				JobOptions: pipeline.JobOptions{Attach: report.Attach(report.Options{}, true, true)}})
		},
	}
	for name, run := range jobs {
		out := filepath.Join(tmp, name)
		m, err := run(out)
		if err != nil {
			t.Fatal(err)
		}
		card, err := os.ReadFile(filepath.Join(out, report.CardName))
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.SplitN(string(card), "---\n", 3)
		if len(parts) != 3 || parts[0] != "" {
			t.Fatalf("%s: no YAML front matter", name)
		}
		var meta cardMeta
		dec := yaml.NewDecoder(strings.NewReader(parts[1]))
		dec.KnownFields(true)
		if err := dec.Decode(&meta); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, parts[1])
		}
		files := map[string][]string{} // hf split name -> files
		for _, s := range m.Splits {
			for _, f := range s.Files {
				files[strings.ReplaceAll(s.Name, "-", "_")] = append(files[strings.ReplaceAll(s.Name, "-", "_")], f.Path)
			}
		}
		var all []string
		for _, fs := range files {
			all = append(all, fs...)
		}
		match := func(gs []string) []string {
			var got []string
			for _, f := range all {
				for _, g := range gs {
					if ok, _ := path.Match(g, f); ok {
						got = append(got, f)
						break
					}
				}
			}
			slices.Sort(got)
			return got
		}
		if len(meta.Configs) == 0 || meta.Configs[0].ConfigName != "default" || !meta.Configs[0].Default {
			t.Fatalf("%s: first config is not the default one", name)
		}
		for _, df := range meta.Configs[0].DataFiles {
			if !hfSplitName.MatchString(df.Split) {
				t.Errorf("%s: split name %q is not one Hugging Face accepts", name, df.Split)
			}
			want := slices.Sorted(slices.Values(files[df.Split]))
			if got := match(globs(t, df.Path)); !slices.Equal(got, want) {
				t.Errorf("%s: split %s: globs match %v, want %v", name, df.Split, got, want)
			}
		}
		if len(meta.Configs[0].DataFiles) != len(m.Splits) {
			t.Errorf("%s: %d splits in the default config, want %d", name, len(meta.Configs[0].DataFiles), len(m.Splits))
		}
		if name == "kfold" {
			// One config per fold: test is the fold, train the others.
			if len(meta.Configs) != 4 {
				t.Fatalf("kfold: %d configs, want default and 3 folds", len(meta.Configs))
			}
			for j, c := range meta.Configs[1:] {
				fold := "fold_" + string(rune('0'+j))
				if c.ConfigName != "fold-"+string(rune('0'+j)) || len(c.DataFiles) != 2 {
					t.Fatalf("kfold: config %q with %d data files", c.ConfigName, len(c.DataFiles))
				}
				var train []string
				for k := range 3 {
					if k != j {
						train = append(train, files["fold_"+string(rune('0'+k))]...)
					}
				}
				slices.Sort(train)
				if got := match(globs(t, c.DataFiles[0].Path)); c.DataFiles[0].Split != "train" || !slices.Equal(got, train) {
					t.Errorf("kfold %s: train globs match %v, want %v", c.ConfigName, got, train)
				}
				if got := match(globs(t, c.DataFiles[1].Path)); c.DataFiles[1].Split != "test" || !slices.Equal(got, files[fold]) {
					t.Errorf("kfold %s: test globs match %v, want %v", c.ConfigName, got, files[fold])
				}
			}
		}
		wantFeatures := map[string]string{"id": "int64", "user_id": "int64", "label": "string", "x1": "float64", "x2": "float64", "text": "string", "ts": "timestamp[us]"}
		if len(meta.DatasetInfo.Features) != len(wantFeatures) {
			t.Errorf("%s: %d features, want %d", name, len(meta.DatasetInfo.Features), len(wantFeatures))
		}
		for _, f := range meta.DatasetInfo.Features {
			if wantFeatures[f.Name] != f.Dtype {
				t.Errorf("%s: feature %s has dtype %q, want %q", name, f.Name, f.Dtype, wantFeatures[f.Name])
			}
		}
		var total int64
		for i, s := range meta.DatasetInfo.Splits {
			ms := m.Splits[i]
			if s.Name != strings.ReplaceAll(ms.Name, "-", "_") || s.NumExamples != ms.Rows || s.NumBytes != ms.Bytes() {
				t.Errorf("%s: split %+v, manifest %s %d rows %d bytes", name, s, ms.Name, ms.Rows, ms.Bytes())
			}
			total += s.NumBytes
		}
		if meta.DatasetInfo.DatasetSize != total {
			t.Errorf("%s: dataset_size %d, want %d", name, meta.DatasetInfo.DatasetSize, total)
		}
		if err := report.CheckCard(card, m); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		bad := bytes.Replace(card, []byte("num_examples: "), []byte("num_examples: 1"), 1)
		if err := report.CheckCard(bad, m); err == nil {
			t.Errorf("%s: a changed num_examples passes CheckCard", name)
		}
		if err := report.VerifyCard(out); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if !bytes.Contains(card, []byte("--seed 1")) {
			t.Errorf("%s: the card does not give the command", name)
		}
	}
}
