package pipeline

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/splitdata/splitdata/sinks"
	"github.com/splitdata/splitdata/splitter"
)

// ManifestName is the file that marks a complete output directory. It is
// written last; a directory without it is not a splitdata output.
const ManifestName = "manifest.json"

// Manifest records what a run read and wrote, so that the run can be
// repeated and its outputs checked. Two runs with the same inputs and
// options give manifests that differ only in Created.
type Manifest struct {
	Tool      string    `json:"tool"`
	Version   string    `json:"version"`
	Algorithm int       `json:"algorithm"`
	Command   string    `json:"command"`
	Created   time.Time `json:"created"`
	// Seed is the master seed as a decimal integer; SeedText is the text it
	// was derived from when that text was not itself a decimal integer.
	Seed          string          `json:"seed"`
	SeedText      string          `json:"seed_text,omitempty"`
	SeedGenerated bool            `json:"seed_generated,omitempty"`
	Options       ManifestOptions `json:"options"`
	Inputs        []InputInfo     `json:"inputs"`
	Rows          int64           `json:"rows"`
	// Unassigned counts the rows in no split (only when --sizes asks for
	// fewer rows than the inputs hold).
	Unassigned int64       `json:"unassigned_rows"`
	Splits     []SplitInfo `json:"splits"`
}

// ManifestOptions are the options that determine the output bytes.
type ManifestOptions struct {
	Splits       []splitter.Split     `json:"splits"`
	Approx       bool                 `json:"approx"`
	Shuffle      bool                 `json:"shuffle"`
	RowsPerFile  int64                `json:"rows_per_file"`
	RowGroupRows int64                `json:"row_group_rows"`
	Format       string               `json:"format"`
	Parquet      sinks.ParquetOptions `json:"parquet"`
}

// InputInfo describes one input file.
type InputInfo struct {
	Path string `json:"path"`
	Size int64  `json:"size"`
	Rows int64  `json:"rows"`
}

// SplitInfo describes one output split.
type SplitInfo struct {
	Name  string     `json:"name"`
	Rows  int64      `json:"rows"`
	Files []FileInfo `json:"files"`
}

// FileInfo describes one output file; Path is relative to the output
// directory and uses forward slashes.
type FileInfo struct {
	Path   string `json:"path"`
	Rows   int64  `json:"rows"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// Bytes returns the total size of the split's files.
func (s SplitInfo) Bytes() int64 {
	var n int64
	for _, f := range s.Files {
		n += f.Bytes
	}
	return n
}

// ReadManifest reads and decodes the manifest in dir.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(dir + string(os.PathSeparator) + ManifestName)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decode %s in %s: %w", ManifestName, dir, err)
	}
	return &m, nil
}

// writeJSONFile writes v as indented JSON to path and syncs it.
func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
