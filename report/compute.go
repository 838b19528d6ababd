package report

import (
	"context"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/sources"
	"github.com/splitdata/splitdata/splitter"
)

// Options say what to report on.
type Options struct {
	// Dir is the output directory (of split, kfold, sample or shuffle).
	Dir string
	// Manifest, if not nil, is used instead of Dir's manifest.json: a
	// report written inside a run, before its manifest.
	Manifest *pipeline.Manifest
	// Inputs, if not empty, are the run's inputs: they are summarized too
	// and are the reference that drift is measured against.
	Inputs []string
	// Columns limits the per-column figures to these columns (default:
	// all). Leakage always compares whole rows.
	Columns []string
	// Label is the column whose class shares are shown; default: the
	// manifest's stratify column.
	Label string
	// Group is the column whose values must not be in two splits;
	// default: the manifest's group column.
	Group string
	// MemoryLimit is the budget in bytes (0: DefaultMemoryLimit). Half of it holds
	// the leak records; beyond, they are spilled to TempDir.
	MemoryLimit int64
	// TempDir holds the spilled leak records (default: the system's).
	TempDir string
	// Workers bounds the units read at once (0: the number of CPUs).
	Workers int
	// Out is where the output directory is named in the reproducing
	// command (default: Dir).
	Out string

	reportFlag, cardFlag bool // the run writes a report, a card
}

// DefaultMemoryLimit is the budget of a report when Options leave it 0:
// a job's ([pipeline.DefaultMemoryLimit]).
const DefaultMemoryLimit = pipeline.DefaultMemoryLimit

// quantileLevels are the quantiles shown for numbers.
var quantileLevels = []float64{0.05, 0.25, 0.5, 0.75, 0.95}

// appendLabel appends the text of a label value to b.
func appendLabel(b []byte, v parquet.Value, c column) []byte {
	switch c.kind {
	case KindNumber, KindTime:
		switch v.Kind() {
		case parquet.Int32:
			return strconv.AppendInt(b, int64(v.Int32()), 10)
		case parquet.Int64:
			return strconv.AppendInt(b, v.Int64(), 10)
		}
		f, _ := number(v)
		return strconv.AppendFloat(b, f, 'g', -1, 64)
	case KindBool:
		return strconv.AppendBool(b, v.Boolean())
	}
	return append(b, v.ByteArray()...)
}

// appendCanonical appends an encoding of v that differs for values that
// differ in column, levels, kind or bytes: the column as a uvarint, the
// repetition and definition levels, the kind plus one, then 0 for a
// null, else 1 and the value's bytes (Value.AppendBytes), a byte array's
// after its length as a uvarint.
func appendCanonical(b []byte, v parquet.Value) []byte {
	// The common kinds are spelled out: a call to AppendUvarint and to
	// AppendBytes per value took a tenth of a report.
	if c := v.Column(); c < 0x80 {
		b = append(b, byte(c))
	} else {
		b = binary.AppendUvarint(b, uint64(c))
	}
	k := v.Kind()
	b = append(b, byte(v.RepetitionLevel()), byte(v.DefinitionLevel()), byte(k+1))
	if v.IsNull() {
		return append(b, 0)
	}
	b = append(b, 1)
	switch k {
	case parquet.Int64, parquet.Double:
		return binary.LittleEndian.AppendUint64(b, v.Uint64())
	case parquet.Int32, parquet.Float:
		return binary.LittleEndian.AppendUint32(b, uint32(v.Uint64()))
	case parquet.Boolean:
		return append(b, byte(v.Uint64()))
	case parquet.ByteArray, parquet.FixedLenByteArray:
		bs := v.ByteArray()
		if len(bs) < 0x80 {
			b = append(b, byte(len(bs)))
		} else {
			b = binary.AppendUvarint(b, uint64(len(bs)))
		}
		return append(b, bs...)
	}
	return v.AppendBytes(b)
}

// place says where the rows a scan adds are: their part (split), their
// file among the report's files and the first one's row in it, and
// whether their leak records are kept (not for the inputs).
type place struct {
	split    uint16
	file     uint32
	firstRow uint64
	leak     bool
}

// newUnitAcc returns an empty acc (new, or released) for a unit of rows
// rows, its leak records and hashes in bufs's memory if it is large
// enough (see bufPool).
func (s *scanner) newUnitAcc(rows int64, at place, bufs *leakBufs) *acc {
	a, ok := s.units.Get().(*acc)
	if ok {
		a.reset()
	} else {
		a = s.newAcc()
	}
	if at.leak {
		n := int(rows)
		switch {
		case s.fastRows:
			a.hashes = bufs.hashes.get(n)
			if len(s.groups) == 0 {
				n = 0
			}
		case len(s.groups) > 0:
			n *= 2
		}
		if n > 0 {
			a.recs = bufs.recs.get(n)
		}
	}
	return a
}

// leakBufs recycles the leak records and hashes of units.
type leakBufs struct {
	recs   bufPool[record]
	hashes bufPool[uint64]
}

// put hands back a's leak records and hashes, once the leak finder has
// copied them.
func (b *leakBufs) put(a *acc) {
	if b != nil {
		b.recs.put(a.recs)
		b.hashes.put(a.hashes)
	}
}

// bufPool recycles the leak records (or hashes) of units once they are
// handed to the leak finder, which copies them: records are 32 bytes a
// row, a third of what a report allocated, and fresh memory under the
// soft limit costs collections. Buffers are made as large as the largest
// unit yet: one too small for a unit was dropped, and units of uneven
// sizes (a file's last row group) made most of the pool's buffers anew.
type bufPool[T any] struct {
	p    sync.Pool
	most atomic.Int64 // the most a unit asked for
}

func (r *bufPool[T]) get(n int) []T {
	if r == nil {
		return make([]T, 0, n)
	}
	most := r.most.Load()
	for int64(n) > most && !r.most.CompareAndSwap(most, int64(n)) {
		most = r.most.Load()
	}
	if b, ok := r.p.Get().(*[]T); ok && cap(*b) >= n {
		return (*b)[:0]
	}
	return make([]T, 0, max(int64(n), most))
}

func (r *bufPool[T]) put(b []T) {
	if r != nil && cap(b) > 0 {
		r.p.Put(&b)
	}
}

// outputOptions are the options output files of m are read with.
func outputOptions(m *pipeline.Manifest) sources.Options {
	o := m.Options
	opts := sources.Options{Format: o.Format}
	if o.CSV != nil {
		opts.CSV = sources.CSVOptions{Delimiter: o.CSV.Delimiter, NoHeader: o.CSV.NoHeader, Null: o.CSV.Null}
	}
	return opts
}

// inputOptions are the options the inputs of m were read with.
func inputOptions(m *pipeline.Manifest) sources.Options {
	o := m.Options
	opts := sources.Options{Format: o.InputFormat}
	if o.InputCSV != nil {
		opts.CSV = *o.InputCSV
	}
	if o.InputJSONL != nil {
		opts.JSONL = *o.InputJSONL
	}
	return opts
}

// parts lists what the report summarizes, in order: the inputs (with
// --input), then the splits; a materialized k-fold output by its folds
// (fold-j/test), each row once.
func partsOf(m *pipeline.Manifest, dir string, inputs []string) ([]part, error) {
	var ps []part
	if len(inputs) > 0 {
		files, err := pipeline.ResolveInputs(inputs, m.Options.InputFormat)
		if err != nil {
			return nil, err
		}
		p := part{name: "input", input: true, rows: m.Rows, files: files}
		for _, in := range m.Inputs {
			p.bytes += in.Size
		}
		ps = append(ps, p)
	}
	for _, s := range m.Splits {
		name := s.Name
		if m.Options.Materialize {
			if !strings.HasSuffix(name, "/test") {
				continue
			}
			name = strings.TrimSuffix(name, "/test")
		}
		p := part{name: name, rows: s.Rows, bytes: s.Bytes()}
		for _, f := range s.Files {
			p.files = append(p.files, filepath.Join(dir, filepath.FromSlash(f.Path)))
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// Compute reads an output directory (and its inputs, with
// Options.Inputs) once and returns its report.
func Compute(ctx context.Context, opts Options) (*Report, error) {
	m := opts.Manifest
	if m == nil {
		var err error
		if m, err = pipeline.ReadManifest(opts.Dir); err != nil {
			return nil, err
		}
	}
	if opts.MemoryLimit <= 0 {
		opts.MemoryLimit = DefaultMemoryLimit
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Label == "" {
		opts.Label = m.Options.Stratify
	}
	if opts.Group == "" {
		opts.Group = m.Options.Group
	}
	parts, err := partsOf(m, opts.Dir, opts.Inputs)
	if err != nil {
		return nil, err
	}
	var first sources.FileSource
	for _, p := range parts {
		if len(p.files) > 0 {
			o := outputOptions(m)
			if p.input {
				o = inputOptions(m)
			}
			if first, err = sources.Open(p.files[0], o); err != nil {
				return nil, err
			}
			break
		}
	}
	if first == nil {
		return nil, fmt.Errorf("%s: no rows to report on", opts.Dir)
	}
	schema := first.Schema()
	first.Close()
	sc, err := newScanner(schema, opts)
	if err != nil {
		return nil, err
	}
	var total int64
	for _, p := range parts {
		if !p.input {
			total += p.rows
		}
	}
	sc.fastRows = fastRowsFit(total, opts.MemoryLimit/2)
	leak, err := newLeakCheck(total, len(sc.groups) > 0, sc.fastRows, opts.MemoryLimit/2, opts.MemoryLimit/2, opts.TempDir)
	if err != nil {
		return nil, err
	}
	defer leak.close()
	leak.setWorkers(opts.Workers)
	accs := make([]*acc, len(parts))
	for i := range accs {
		accs[i] = sc.newAcc()
	}
	files, err := sc.scanParts(ctx, m, parts, opts.Workers, accs, leak)
	if err != nil {
		return nil, err
	}
	return buildWithLeaks(ctx, m, opts, sc, parts, accs, files, leak)
}

func newScanner(schema *parquet.Schema, opts Options) (*scanner, error) {
	cols := describe(schema)
	sc := &scanner{cols: cols, want: make([]bool, len(cols)), label: -1}
	find := func(name, flag string) (int, error) {
		for i, c := range cols {
			if c.name == name {
				return i, nil
			}
		}
		return -1, fmt.Errorf("%w: %s %q: no such column (columns: %s)", splitter.ErrUsage, flag, name, columnNames(cols))
	}
	if len(opts.Columns) == 0 {
		for i := range sc.want {
			sc.want[i] = true
		}
	}
	for _, name := range opts.Columns {
		i, err := find(name, "--columns")
		if err != nil {
			return nil, err
		}
		sc.want[i] = true
	}
	var err error
	if opts.Label != "" {
		if sc.label, err = find(opts.Label, "--label"); err != nil {
			return nil, err
		}
		sc.labelCol = cols[sc.label]
	}
	if opts.Group != "" {
		if sc.groups, err = findGroup(opts.Group, find); err != nil {
			return nil, err
		}
		sc.groupPos = make([]int, len(cols))
		for i := range sc.groupPos {
			sc.groupPos[i] = -1
		}
		for p, c := range sc.groups {
			sc.groupPos[c] = p
		}
	}
	// One capacity whatever the budget and the workers: the figures, and
	// the bytes of a report written inside a run, never depend on them.
	// A sketch takes 16 KiB a level, 13 levels at ten million values.
	sc.capacity = DefaultSketchCapacity
	return sc, nil
}

func columnNames(cols []column) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// findGroup resolves a --group value: one column, or several separated by
// commas (a whole name holding a comma is that one column, as the split's
// --group reads it).
func findGroup(list string, find func(name, flag string) (int, error)) ([]int, error) {
	if i, err := find(list, "--group"); err == nil || !strings.Contains(list, ",") {
		if err != nil {
			return nil, err
		}
		return []int{i}, nil
	}
	var cols []int
	for _, name := range strings.Split(list, ",") {
		i, err := find(name, "--group")
		if err != nil {
			return nil, err
		}
		cols = append(cols, i)
	}
	return cols, nil
}
