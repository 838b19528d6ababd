package pipeline

import (
	"fmt"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/sinks"
	"github.com/splitdata/splitdata/sources"
)

// plan is the opened inputs: footers read, schemas checked, units laid out.
type plan struct {
	paths  []string
	inputs []sources.FileSource
	units  []unit
	rows   int64
	schema *parquet.Schema
	kv     []sinks.KeyValue
}

func openPlan(inputs []string, opts sources.Options) (_ *plan, err error) {
	paths, err := ResolveInputs(inputs, opts.Format)
	if err != nil {
		return nil, usageUnlessInput(err)
	}
	p := &plan{paths: paths}
	defer func() {
		if err != nil {
			p.close()
		}
	}()
	for i, path := range paths {
		in, err := sources.Open(path, opts)
		if err != nil {
			return nil, err
		}
		p.inputs = append(p.inputs, in)
		if i == 0 {
			p.schema = in.Schema()
			p.kv = append([]sinks.KeyValue(nil), in.KeyValueMetadata()...) // one type: sources.KeyValue is sinks.KeyValue
		} else if d := sources.SchemaDiff(p.schema, in.Schema()); d != "" {
			if isCSV(p.inputs[0]) || isCSV(in) {
				d += `; CSV columns are inferred, and nullable: give their types with --schema (a "!" suffix makes a column required)`
			}
			return nil, &sources.InputError{Path: path, RowGroup: -1,
				Err: fmt.Errorf("%w with %s: %s", sources.ErrSchemaMismatch, paths[0], d)}
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

// decodedBytes estimates the memory the inputs' rows take decoded: their
// values (for Parquet, sources.Parquet.DecodedBytes: uncompressed column
// bytes, dictionaries expanded) plus, per row, a parquet.Value per leaf and
// a row header (the row path) or an offset per leaf and the shuffle's
// bookkeeping (the columnar path, batches).
func (p *plan) decodedBytes(batches bool) int64 {
	var total int64
	for _, in := range p.inputs {
		leaves := int64(len(in.Schema().Columns()))
		if pq, ok := in.(*sources.Parquet); ok {
			total += pq.DecodedBytes()
		} else {
			total += in.Size() // text and Arrow inputs: about their size
		}
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
		if pq, ok := in.(*sources.Parquet); ok {
			values += pq.DecodedBytes()
		} else {
			values += in.Size()
		}
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

// close releases the inputs. They were only read, so a failed close loses
// nothing and is not reported.
func (p *plan) close() {
	for _, in := range p.inputs {
		_ = in.Close()
	}
}
