package report

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/pipeline"
)

// CardName is the dataset card's file name in an output directory.
const CardName = "README.md"

// HTMLName is the report's file name in an output directory.
const HTMLName = "report.html"

// hfSplitName makes a split name one that Hugging Face datasets accepts
// (word characters and dots): '-' and '/' become '_'.
func hfSplitName(name string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '/' {
			return '_'
		}
		return r
	}, name)
}

// yq quotes a YAML scalar (a JSON string is a YAML double-quoted one).
func yq(s string) string { return strconv.Quote(s) }

// featureLines writes the dataset_info features of a schema's fields,
// indented by ind.
func featureLines(b *strings.Builder, fields []parquet.Field, ind string) {
	for _, f := range fields {
		fmt.Fprintf(b, "%s- name: %s\n", ind, yq(f.Name()))
		featureType(b, f, ind+"  ")
	}
}

// featureType writes one field's type as Hugging Face features spell it:
// dtype for a value, struct for a group, sequence for a repeated field.
func featureType(b *strings.Builder, n parquet.Node, ind string) {
	if n.Repeated() {
		fmt.Fprintf(b, "%ssequence:\n", ind)
		ind += "  "
	}
	if !n.Leaf() {
		// A LIST's repeated group of one element is its element.
		if fs := n.Fields(); len(fs) == 1 && fs[0].Repeated() && !n.Repeated() {
			fmt.Fprintf(b, "%ssequence:\n", ind)
			inner := fs[0]
			if !inner.Leaf() && len(inner.Fields()) == 1 {
				featureValue(b, inner.Fields()[0], ind+"  ")
				return
			}
			featureValue(b, inner, ind+"  ")
			return
		}
		fmt.Fprintf(b, "%sstruct:\n", ind)
		featureLines(b, n.Fields(), ind)
		return
	}
	fmt.Fprintf(b, "%sdtype: %s\n", ind, dtype(n))
}

// featureValue writes an element type (without its own repetition).
func featureValue(b *strings.Builder, n parquet.Node, ind string) {
	if n.Leaf() {
		fmt.Fprintf(b, "%sdtype: %s\n", ind, dtype(n))
		return
	}
	fmt.Fprintf(b, "%sstruct:\n", ind)
	featureLines(b, n.Fields(), ind)
}

// dtype is the Hugging Face Value dtype of a leaf.
func dtype(n parquet.Node) string {
	t := n.Type()
	var lt format.LogicalTypeValue
	if l := t.LogicalType(); l != nil {
		lt = l.Value
	}
	switch v := lt.(type) {
	case *format.StringType, *format.EnumType, *format.JsonType:
		return "string"
	case *format.DateType:
		return "date32"
	case *format.TimestampType:
		switch v.Unit.Value.(type) {
		case *format.MilliSeconds:
			return "timestamp[ms]"
		case *format.NanoSeconds:
			return "timestamp[ns]"
		}
		return "timestamp[us]"
	case *format.IntType:
		sign := "int"
		if !v.IsSigned {
			sign = "uint"
		}
		return sign + strconv.Itoa(int(v.BitWidth))
	case *format.DecimalType:
		return fmt.Sprintf("decimal128(%d, %d)", v.Precision, v.Scale)
	}
	switch t.Kind() {
	case parquet.Boolean:
		return "bool"
	case parquet.Int32:
		return "int32"
	case parquet.Int64:
		return "int64"
	case parquet.Float:
		return "float32"
	case parquet.Double:
		return "float64"
	}
	return "binary"
}

// cardGlob is the data_files pattern of one split directory.
func cardGlob(m *pipeline.Manifest, s pipeline.SplitInfo) string {
	if len(s.Files) == 0 {
		return s.Name + "/*." + m.Options.Format
	}
	return path.Dir(s.Files[0].Path) + "/*." + m.Options.Format
}

// WriteCard writes a Hugging Face dataset card for the output: YAML
// front matter whose configs name each split's files (and for k-fold,
// one config per fold with its train and test files), whose dataset_info
// gives the features of the schema and each split's examples and bytes;
// then prose with the seed, algorithm, command and the report's
// headline figures. r may be nil (no figures).
//
// Field names follow the dataset card metadata of the Hugging Face Hub
// (configs, config_name, data_files, split, path; dataset_info,
// features, splits, name, num_bytes, num_examples, dataset_size). A
// split name with '-' is written with '_' (Hugging Face split names are
// word characters and dots). num_bytes is the files' size on disk.
func WriteCard(w io.Writer, m *pipeline.Manifest, schema *parquet.Schema, r *Report) error {
	var b strings.Builder
	b.WriteString("---\n")
	fmt.Fprintf(&b, "pretty_name: %s\n", yq("splitdata "+m.Command+" (seed "+m.Seed+")"))
	b.WriteString("tags:\n  - splitdata\nconfigs:\n")
	splits := m.Splits
	kfold := m.Command == "kfold"
	b.WriteString("  - config_name: default\n    default: true\n    data_files:\n")
	for _, s := range splits {
		fmt.Fprintf(&b, "      - split: %s\n        path: %s\n", yq(hfSplitName(s.Name)), yq(cardGlob(m, s)))
	}
	if kfold {
		for j, s := range splits {
			if m.Options.Materialize {
				if !strings.HasSuffix(s.Name, "/train") {
					continue
				}
				fold := strings.TrimSuffix(s.Name, "/train")
				fmt.Fprintf(&b, "  - config_name: %s\n    data_files:\n", yq(fold))
				fmt.Fprintf(&b, "      - split: train\n        path: %s\n", yq(fold+"/train/*."+m.Options.Format))
				fmt.Fprintf(&b, "      - split: test\n        path: %s\n", yq(fold+"/test/*."+m.Options.Format))
				continue
			}
			fmt.Fprintf(&b, "  - config_name: %s\n    data_files:\n      - split: train\n        path:\n", yq(s.Name))
			for k, o := range splits {
				if k != j {
					fmt.Fprintf(&b, "          - %s\n", yq(cardGlob(m, o)))
				}
			}
			fmt.Fprintf(&b, "      - split: test\n        path: %s\n", yq(cardGlob(m, s)))
		}
	}
	b.WriteString("dataset_info:\n  features:\n")
	featureLines(&b, schema.Fields(), "    ")
	b.WriteString("  splits:\n")
	var total int64
	for _, s := range splits {
		fmt.Fprintf(&b, "    - name: %s\n      num_bytes: %d\n      num_examples: %d\n", yq(hfSplitName(s.Name)), s.Bytes(), s.Rows)
		total += s.Bytes()
	}
	fmt.Fprintf(&b, "  download_size: %d\n  dataset_size: %d\n", total, total)
	b.WriteString("---\n\n")
	fmt.Fprintf(&b, "# splitdata %s, seed %s\n\n", m.Command, m.Seed)
	fmt.Fprintf(&b, "Written by splitdata %s (assignment algorithm %d) from %d input rows in %d file(s), "+
		"with the master seed %s", m.Version, m.Algorithm, m.Rows, len(m.Inputs), m.Seed)
	if m.SeedText != "" {
		fmt.Fprintf(&b, " (the SHA-256 of the text %q)", m.SeedText)
	}
	b.WriteString(". Every row's split is a pure function of the seed and the row's global index " +
		"(NumPy's PCG64; see splitdata's docs/algorithm.md), so the same command gives the same files.\n\n")
	b.WriteString("| split | rows | bytes |\n|---|---:|---:|\n")
	for _, s := range splits {
		fmt.Fprintf(&b, "| %s | %d | %d |\n", s.Name, s.Rows, s.Bytes())
	}
	if r != nil {
		fmt.Fprintf(&b, "\nTo rebuild it:\n\n```sh\n%s\n```\n", r.Reproduce)
		fmt.Fprintf(&b, "\nTo recompute any row's split:\n\n```python\n%s```\n", r.NumPy)
		b.WriteString("\n## Report\n\n")
		fmt.Fprintf(&b, "- Drift against %s: %d column flag(s) (PSI ≥ %g or a significant Kolmogorov–Smirnov statistic).\n", r.Reference, len(r.Flagged), r.Thresholds.PSIModerate)
		fmt.Fprintf(&b, "- Rows found in more than one split: %d.\n", r.Leakage.Rows)
		if r.Leakage.Group != "" {
			fmt.Fprintf(&b, "- Values of `%s` found in more than one split: %d.\n", r.Leakage.Group, r.Leakage.Groups)
		}
		if r.Label != nil {
			fmt.Fprintf(&b, "- Class shares of `%s`:", r.Label.Column)
			for _, s := range r.Label.Splits {
				fmt.Fprintf(&b, " %s", s.Split)
				for k, c := range r.Label.Classes {
					fmt.Fprintf(&b, " %s %.2f%%", c, 100*s.Shares[k])
				}
				b.WriteString(";")
			}
			b.WriteString("\n")
		}
		for _, e := range m.Extras {
			if e.Path == HTMLName {
				b.WriteString("\nThe full report is `report.html` beside this card.\n")
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// cardSplitLine matches a split entry of a card's dataset_info.
var cardSplitLine = regexp.MustCompile(`(?m)^    - name: ("(?:[^"\\]|\\.)*")\n      num_bytes: (\d+)\n      num_examples: (\d+)$`)

// CheckCard checks that a dataset card's split entries agree with the
// manifest's splits: names, examples and bytes, in order.
func CheckCard(card []byte, m *pipeline.Manifest) error {
	s := string(card)
	end := strings.Index(s[min(4, len(s)):], "\n---\n")
	if !strings.HasPrefix(s, "---\n") || end < 0 {
		return fmt.Errorf("%s: no YAML front matter", CardName)
	}
	found := cardSplitLine.FindAllStringSubmatch(s[:end+4], -1)
	if len(found) != len(m.Splits) {
		return fmt.Errorf("%s: %d splits in dataset_info, manifest has %d", CardName, len(found), len(m.Splits))
	}
	for i, f := range found {
		sp := m.Splits[i]
		name, err := strconv.Unquote(f[1])
		if err != nil || name != hfSplitName(sp.Name) || f[2] != strconv.FormatInt(sp.Bytes(), 10) || f[3] != strconv.FormatInt(sp.Rows, 10) {
			return fmt.Errorf("%s: split %s: card says %s with %s examples and %s bytes, manifest %d examples and %d bytes", CardName, sp.Name, f[1], f[3], f[2], sp.Rows, sp.Bytes())
		}
	}
	return nil
}

// VerifyCard checks the dataset card of an output, if its manifest lists
// one, against the manifest ([CheckCard]); the card's bytes are checked
// by pipeline.Verify with the other files. Differences wrap
// pipeline.ErrVerify.
func VerifyCard(dir string) error {
	m, err := pipeline.ReadManifest(dir)
	if err != nil {
		return err
	}
	for _, e := range m.Extras {
		if e.Path != CardName {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, CardName))
		if err != nil {
			return err
		}
		if err := CheckCard(b, m); err != nil {
			return fmt.Errorf("%w: %s: %w", pipeline.ErrVerify, dir, err)
		}
	}
	return nil
}
