// Package gendata writes deterministic synthetic Parquet datasets shaped
// like typical ML training tables, for the demo, tests and benchmarks.
//
// Every value of row i is a pure function of (Config.Seed, i), so a dataset
// is the same whatever its file count, row-group size or worker count, and
// re-chunked copies of one dataset hold the same rows in the same order.
package gendata

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/parquet-go/parquet-go"
	"golang.org/x/sync/errgroup"
)

// Row is one generated row. Its struct tags define the Parquet schema.
type Row struct {
	// ID is the global row index.
	ID int64 `parquet:"id"`
	// UserID takes about Rows/20 distinct values, for grouped splits.
	UserID int64 `parquet:"user_id"`
	// Label is an imbalanced class: neg 70%, pos 20%, unsure 8%, spam 2%.
	Label string `parquet:"label,dict"`
	// X1 is uniform in [0, 1).
	X1 float64 `parquet:"x1"`
	// X2 is uniform in [-1, 1), null in one row of ten.
	X2 *float64 `parquet:"x2,optional"`
	// Text is a string of about 40 bytes.
	Text string `parquet:"text"`
	// TS is a timestamp in microseconds, increasing with ID.
	TS time.Time `parquet:"ts,timestamp(microsecond)"`
}

// Config says what to generate.
type Config struct {
	Rows         int64  // total rows
	Files        int    // number of files (default 1); rows are spread evenly
	RowGroupRows int64  // rows per row group (default 122880)
	Seed         uint64 // seed of the values
	Workers      int    // files written at once (default: GOMAXPROCS)
	Overwrite    bool   // replace files in a non-empty output directory
	// PageBufferSize is the writer's page size in bytes (0: parquet-go's
	// default), for inputs of few or many pages per column chunk.
	PageBufferSize int
	// StringColumns, when positive, replaces the columns above by that
	// many string columns s00, s01, ... of up to 30 bytes, the wide table
	// of the benchmarks; a value of column c of row i is a function of
	// (Seed, i, c): s00 one of 8 classes, s01 one of about Rows/20 groups
	// (with two columns or more), the others mostly distinct.
	StringColumns int
	// OnRows, if set, is called with the number of rows generated since
	// its last call, for a progress bar; files are written at once, so it
	// must be safe for concurrent use.
	OnRows func(rows int64)
}

// onRows reports rows generated to OnRows, if set.
func (c *Config) onRows(n int64) {
	if c.OnRows != nil {
		c.OnRows(n)
	}
}

// DefaultRowGroupRows is the row-group size used when Config leaves it 0.
const DefaultRowGroupRows = 122880

// ErrExists reports a non-empty output directory without Config.Overwrite.
var ErrExists = errors.New("output directory is not empty")

// Write generates the dataset into dir as part-00000.parquet, ... and
// returns the paths written. Each file appears under its final name only
// when complete.
func Write(ctx context.Context, dir string, cfg Config) ([]string, error) {
	if cfg.Rows < 0 || cfg.Files < 0 || cfg.RowGroupRows < 0 || cfg.Workers < 0 || cfg.PageBufferSize < 0 || cfg.StringColumns < 0 {
		return nil, errors.New("gendata: negative option")
	}
	if cfg.Files == 0 {
		cfg.Files = 1
	}
	if cfg.RowGroupRows == 0 {
		cfg.RowGroupRows = DefaultRowGroupRows
	}
	if cfg.Workers == 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 && !cfg.Overwrite {
		return nil, fmt.Errorf("%s: %w (use --overwrite to replace it)", dir, ErrExists)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	paths := make([]string, cfg.Files)
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(cfg.Workers)
	for f := range cfg.Files {
		paths[f] = filepath.Join(dir, fmt.Sprintf("part-%05d.parquet", f))
		start := cfg.Rows * int64(f) / int64(cfg.Files)
		end := cfg.Rows * int64(f+1) / int64(cfg.Files)
		g.Go(func() error { return writeFile(ctx, paths[f], cfg, start, end) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return paths, nil
}

func writeFile(ctx context.Context, path string, cfg Config, start, end int64) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	opts := []parquet.WriterOption{
		parquet.MaxRowsPerRowGroup(cfg.RowGroupRows),
		parquet.Compression(&parquet.Snappy),
		parquet.CreatedBy("splitdata-gen", "1", ""),
	}
	if cfg.PageBufferSize > 0 {
		opts = append(opts, parquet.PageBufferSize(cfg.PageBufferSize))
	}
	if cfg.StringColumns > 0 {
		if err := writeStrings(ctx, tmp, cfg, start, end, opts); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		return finish(tmp, path)
	}
	w := parquet.NewGenericWriter[Row](tmp, opts...)
	const batch = 4096
	rows := make([]Row, batch)
	x2 := make([]float64, batch)
	text := make([]byte, 0, 64)
	users := max(cfg.Rows/20, 1)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	for i := start; i < end; i += batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := int(min(batch, end-i))
		for k := range n {
			id := i + int64(k)
			h := mix(cfg.Seed, uint64(id))
			r := &rows[k]
			r.ID = id
			r.UserID = int64(mix(h, 1) % uint64(users))
			r.Label = label(mix(h, 2) % 100)
			r.X1 = unit(mix(h, 3))
			if h4 := mix(h, 4); h4%10 == 0 {
				r.X2 = nil
			} else {
				x2[k] = 2*unit(h4) - 1
				r.X2 = &x2[k]
			}
			text = append(text[:0], "user "...)
			text = strconv.AppendInt(text, r.UserID, 10)
			text = append(text, " viewed item "...)
			text = strconv.AppendUint(text, mix(h, 5)%1e9, 16)
			text = append(text, " via "...)
			text = append(text, channels[mix(h, 6)%uint64(len(channels))]...)
			r.Text = string(text)
			r.TS = time.UnixMicro(base + id*1000 + int64(mix(h, 7)%1000)).UTC()
		}
		if _, err := w.Write(rows[:n]); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		cfg.onRows(int64(n))
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return finish(tmp, path)
}

// finish makes the complete temporary file tmp the file at path.
func finish(tmp *os.File, path string) error {
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

var channels = []string{"search", "feed", "email", "ads", "direct"}

func label(p uint64) string {
	switch {
	case p < 70:
		return "neg"
	case p < 90:
		return "pos"
	case p < 98:
		return "unsure"
	default:
		return "spam"
	}
}

// unit maps 53 bits of h to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) * (1.0 / (1 << 53)) }

// mix is splitmix64's finaliser of a combined with b.
func mix(a, b uint64) uint64 {
	z := a + b*0x9e3779b97f4a7c15 + 0x632be59bd9b4e019
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// writeStrings writes rows [start, end) of the wide table of
// cfg.StringColumns string columns to w.
func writeStrings(ctx context.Context, w io.Writer, cfg Config, start, end int64, opts []parquet.WriterOption) error {
	group := parquet.Group{}
	for c := range cfg.StringColumns {
		group[fmt.Sprintf("s%02d", c)] = parquet.String()
	}
	schema := parquet.NewSchema("wide", group)
	pw := parquet.NewWriter(w, append(opts, schema)...)
	const batch = 1024
	rows := make([]parquet.Row, batch)
	var buf []byte
	users := uint64(max(cfg.Rows/20, 1))
	for i := start; i < end; i += batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := int(min(batch, end-i))
		buf = buf[:0]
		for k := range n {
			h := mix(cfg.Seed, uint64(i+int64(k)))
			row := rows[k][:0]
			for c := range cfg.StringColumns {
				v := mix(h, uint64(c)+10)
				switch {
				case c == 0:
					v %= 8 // a class, for stratified splits
				case c == 1:
					v %= users // a group, for grouped splits
				case v%10 == 0:
					v %= 50 // a few common values
				}
				at := len(buf)
				buf = strconv.AppendUint(buf, v, 36)
				buf = append(buf, "-abcdefghijklmnop"[:(v>>8)%17]...)
				row = append(row, parquet.ByteArrayValue(buf[at:len(buf):len(buf)]).Level(0, 0, c))
			}
			rows[k] = row
		}
		if _, err := pw.WriteRows(rows[:n]); err != nil {
			return err
		}
		cfg.onRows(int64(n))
	}
	return pw.Close()
}
