package report

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/sources"
)

// Attach returns a [pipeline.JobOptions] Attach function that writes the
// report (html) and the dataset card (card) into the output before its
// manifest, and lists them in it, so that they are committed with the
// output and checked by verify. opts.Dir and opts.Manifest are set by
// the job; opts.Out names the output in the reproducing command.
func Attach(opts Options, html, card bool) func(ctx context.Context, dir string, m *pipeline.Manifest) error {
	return func(ctx context.Context, dir string, m *pipeline.Manifest) error {
		o := opts
		o.Dir, o.Manifest = dir, m
		o.reportFlag, o.cardFlag = html, card
		r, err := Compute(ctx, o)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		return writeExtras(dir, m, r, html, card)
	}
}

// writeExtras writes report.html and README.md into dir and lists them
// in m.Extras.
func writeExtras(dir string, m *pipeline.Manifest, r *Report, html, card bool) error {
	if html {
		var b bytes.Buffer
		if err := r.WriteHTML(&b); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		if err := writeExtra(dir, m, HTMLName, b.Bytes()); err != nil {
			return err
		}
	}
	if card {
		schema, err := outputSchema(dir, m)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		if err := WriteCard(&b, m, schema, r); err != nil {
			return err
		}
		if err := writeExtra(dir, m, CardName, b.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// writeExtra writes one file and records it in the manifest.
func writeExtra(dir string, m *pipeline.Manifest, name string, data []byte) error {
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	sum := sha256.Sum256(data)
	m.Extras = append(m.Extras, pipeline.ExtraFile{Path: name, Bytes: int64(len(data)), SHA256: hex.EncodeToString(sum[:])})
	return nil
}

// outputSchema is the schema of the output's first file.
func outputSchema(dir string, m *pipeline.Manifest) (*parquet.Schema, error) {
	for _, s := range m.Splits {
		if len(s.Files) == 0 {
			continue
		}
		src, err := sources.Open(filepath.Join(dir, filepath.FromSlash(s.Files[0].Path)), outputOptions(m))
		if err != nil {
			return nil, err
		}
		defer src.Close()
		return src.Schema(), nil
	}
	return nil, fmt.Errorf("%s: no output file to take a schema from", dir)
}

// AddCard writes the dataset card of an existing output, DIR/README.md,
// and lists it in DIR/manifest.json (replacing an earlier card). Both
// are written to temporary files renamed into place, the manifest last.
// Call it holding the output's lock ([pipeline.LockOutput]), taken before
// r was computed, so that no run replaces the output meanwhile.
func AddCard(ctx context.Context, dir string, r *Report) error {
	m, err := pipeline.ReadManifest(dir)
	if err != nil {
		return err
	}
	schema, err := outputSchema(dir, m)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := WriteCard(&b, m, schema, r); err != nil {
		return err
	}
	if err := replaceFile(dir, CardName, b.Bytes()); err != nil {
		return err
	}
	sum := sha256.Sum256(b.Bytes())
	extras := m.Extras[:0:0]
	for _, e := range m.Extras {
		if e.Path != CardName {
			extras = append(extras, e)
		}
	}
	m.Extras = append(extras, pipeline.ExtraFile{Path: CardName, Bytes: int64(b.Len()), SHA256: hex.EncodeToString(sum[:])})
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return replaceFile(dir, pipeline.ManifestName, append(mb, '\n'))
}

// replaceFile writes dir/name through a synced temporary file renamed
// over it.
func replaceFile(dir, name string, data []byte) error {
	// O_EXCL with the mode 0666 lets the umask apply, as to the output's
	// other files.
	tmp := filepath.Join(dir, fmt.Sprintf(".%s.tmp-%d", name, os.Getpid()))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	defer os.Remove(tmp)
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return os.Rename(tmp, filepath.Join(dir, name))
}
