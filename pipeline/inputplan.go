package pipeline

import (
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/sinks"
	"github.com/splitdata/splitdata/sources"
)

// plan is the opened inputs: footers read, schemas checked, units laid out.
type plan struct {
	paths  []string // the inputs' names
	local  []string // the paths of the inputs that are local files
	inputs []sources.FileSource
	units  []unit
	rows   int64
	schema *parquet.Schema
	kv     []sinks.KeyValue
	// checks and closers are the inputs' change checks and closes beyond
	// their sources' own.
	checks  []func() error
	closers []io.Closer
}

// openJobInputs opens the files the paths of inputs name, then the values
// of more, in order, on up to GOMAXPROCS goroutines (see
// openJobInputsOn).
func openJobInputs(inputs []string, more []Input, opts sources.Options) (*plan, error) {
	return openJobInputsOn(inputs, more, opts, 0)
}

// openJobInputsOn opens the files the paths of inputs name, then the values
// of more, in order, the files on up to workers goroutines (0: GOMAXPROCS).
// With no paths it needs at least one value.
func openJobInputsOn(inputs []string, more []Input, opts sources.Options, workers int) (_ *plan, err error) {
	var values []Input
	var local []string
	if len(inputs) > 0 || len(more) == 0 {
		paths, err := ResolveInputs(inputs, opts.Format)
		if err != nil {
			return nil, usageUnlessInput(err)
		}
		for _, path := range paths {
			values = append(values, fileInput(path))
		}
		local = paths
	}
	values = append(values, more...)
	// The local files are opened on several goroutines (hundreds of small
	// files would otherwise read their footers one after another before
	// any work starts), then taken in order with the values of more, which
	// are opened in turn: the first input that fails to open, or whose
	// schema differs, is the error, as when each was opened in turn.
	opened := make([]openedInput, len(local))
	failed := make([]error, len(local)) // why an input did not open
	taken := 0                          // opened[:taken] belong to p, which closes them on an error
	defer func() {
		if err != nil {
			for _, o := range opened[min(taken, len(opened)):] {
				o.close()
			}
		}
	}()
	// After a failure the goroutines stop, but every input before it was
	// opened: the loop below meets an earlier schema mismatch first.
	_ = eachInput(len(local), inputWorkers(len(local), workers), func(i int) error {
		opened[i], failed[i] = values[i].open(opts)
		if failed[i] != nil {
			opened[i] = openedInput{}
			return failed[i]
		}
		// The size estimates the job asks for next, read here on
		// several goroutines rather than later one file after another.
		if s, ok := opened[i].src.(sizeReader); ok {
			s.ReadSizes()
		}
		return nil
	})
	p := &plan{local: local}
	defer func() {
		if err != nil {
			p.close()
		}
	}()
	for i, v := range values {
		var o openedInput
		if i < len(opened) {
			if failed[i] != nil {
				return nil, failed[i]
			}
			o = opened[i]
			taken++
		} else {
			if v.open == nil {
				return nil, fmt.Errorf("%w: input %d is a zero Input", ErrUsage, i)
			}
			if o, err = v.open(opts); err != nil {
				return nil, err
			}
		}
		path := v.name
		in := o.src
		p.paths = append(p.paths, path)
		p.inputs = append(p.inputs, in)
		if o.check != nil {
			p.checks = append(p.checks, o.check)
		}
		if o.closer != nil {
			p.closers = append(p.closers, o.closer)
		}
		if i == 0 {
			p.schema = in.Schema()
			p.kv = append([]sinks.KeyValue(nil), in.KeyValueMetadata()...) // one type: sources.KeyValue is sinks.KeyValue
		} else if d := sources.SchemaDiff(p.schema, in.Schema()); d != "" {
			if isCSV(p.inputs[0]) || isCSV(in) {
				d += `; CSV columns are inferred, and nullable: give their types with --schema (a "!" suffix makes a column required)`
			}
			return nil, &sources.InputError{Path: path, RowGroup: -1,
				Err: fmt.Errorf("%w with %s: %s", sources.ErrSchemaMismatch, p.paths[0], d)}
		}
		for rg := range in.NumUnits() {
			n := in.UnitNumRows(rg)
			if n == 0 {
				continue
			}
			p.units = append(p.units, unit{seq: len(p.units), input: i, rg: rg, start: p.rows, rows: n})
			p.rows += n
		}
	}
	return p, nil
}

// sizeReader is implemented by inputs that read what their size
// estimates go by once, on request (sources.Parquet).
type sizeReader interface {
	ReadSizes()
}

// allParquet reports whether every input (nil entries aside) is Parquet,
// whose reader checks each row it decodes against the schema.
func allParquet(inputs []sources.FileSource) bool {
	for _, in := range inputs {
		if _, ok := in.(*sources.Parquet); !ok && in != nil {
			return false
		}
	}
	return true
}

// isCSV reports whether an input is a CSV file.
func isCSV(in sources.FileSource) bool {
	_, ok := in.(*sources.CSV)
	return ok
}

// decodedSizer is implemented by inputs that estimate their values'
// bytes decoded (sources.Parquet: uncompressed column bytes, dictionaries
// expanded; Arrow IPC: its buffers' sizes decompressed; CSV and JSON
// Lines: fixed widths and strings' bytes).
type decodedSizer interface {
	DecodedBytes() int64
}

// inputValueBytes estimates the bytes in's values take decoded: its
// DecodedBytes where it gives them (decodedSizer: Parquet, Arrow IPC, CSV
// and JSON Lines), else its size.
func inputValueBytes(in sources.FileSource) int64 {
	if d, ok := in.(decodedSizer); ok {
		return d.DecodedBytes()
	}
	return in.Size()
}

// decodedBytes estimates the memory the inputs' rows take decoded: their
// values (inputValueBytes) plus, per row, a parquet.Value per leaf and
// a row header (the row path) or an offset per leaf and the shuffle's
// bookkeeping (the columnar path, batches).
func (p *plan) decodedBytes(batches bool) int64 {
	var total int64
	for _, in := range p.inputs {
		leaves := int64(len(in.Schema().Columns()))
		total += inputValueBytes(in)
		if batches {
			// Columns hold the values about as Parquet's plain encoding
			// does (uncompressed bytes), plus a ByteArray's offsets.
			total += in.NumRows() * (leaves*4 + batchRowBytes)
		} else {
			total += in.NumRows() * (leaves*valueBytes + rowHeaderBytes)
		}
	}
	return total
}

// rowBytes estimates the mean memory of a decoded row: its values (as
// decodedBytes counts them) plus unitRowBytes.
func (p *plan) rowBytes(batches, shuffle bool) int64 {
	if p.rows == 0 {
		return 0
	}
	var values, leaves int64
	for _, in := range p.inputs {
		leaves = int64(len(in.Schema().Columns()))
		values += inputValueBytes(in)
	}
	return values/p.rows + unitRowBytes(leaves, batches, shuffle)
}

func (p *plan) infos() []InputInfo {
	infos := make([]InputInfo, len(p.inputs))
	for i, in := range p.inputs {
		infos[i] = InputInfo{Path: p.paths[i], Size: in.Size(), Rows: in.NumRows()}
	}
	return infos
}

// checkUnchanged reports, as an [*sources.InputError] wrapping
// [sources.ErrChanged], the first input that changed since it was opened.
func (p *plan) checkUnchanged() error {
	for _, in := range p.inputs {
		if err := in.CheckUnchanged(); err != nil {
			return err
		}
	}
	for _, check := range p.checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// close releases the inputs. They were only read, so a failed close loses
// nothing and is not reported.
func (p *plan) close() {
	for _, in := range p.inputs {
		_ = in.Close()
	}
	for _, c := range p.closers {
		_ = c.Close()
	}
}
