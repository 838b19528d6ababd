package splitbeam

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/splitter"
)

func init() {
	register.DoFn1x2[beam.T, int, beam.T](&keyFn{})
	register.Function2x1(splitOf)
}

// KeyedConfig describes a keyed split of a PCollection ([Split]).
type KeyedConfig struct {
	// Seed is the master seed, as for the CLI's --seed: a decimal integer
	// or any other text. It is required: every worker must draw the same
	// splits, so none may draw a seed of its own.
	Seed prng.Seed `json:"seed"`
	// Splits lists the splits in order with their ratios (not row
	// counts: a keyed split is a grouped split, approximate by design).
	// Empty means train=0.8,test=0.2, the CLI's default.
	Splits []splitter.Split `json:"splits"`
	// Key names the field whose value decides a row's split, as the
	// column of the CLI's --group: the field's `beam` tag name, else its
	// `parquet` tag name, else its Go name; a dotted path reaches into
	// nested structs. Its type must be a bool, a signed or unsigned
	// integer, a string or a []byte, or a pointer to one (nil is null).
	Key string `json:"key"`
}

// defaultSplits is the CLI's default split list.
var defaultSplits = []splitter.Split{{Name: "train", Ratio: 0.8}, {Name: "test", Ratio: 0.2}}

// Split splits rows, a PCollection of structs (Beam schema rows), by the
// value of one field: it returns one PCollection per split of cfg.Splits,
// in their order, and a row's split depends only on the seed and its key,
// exactly as `splitdata split --group KEY` assigns the row read from
// Parquet with that column (docs/algorithm.md section 7b). Rows with equal
// keys land in the same split, and a key never moves when rows are added.
// It panics on an invalid configuration, as Beam's transforms do; see
// [TrySplit].
func Split(s beam.Scope, cfg KeyedConfig, rows beam.PCollection) []beam.PCollection {
	out, err := TrySplit(s, cfg, rows)
	if err != nil {
		panic(err)
	}
	return out
}

// TrySplit is [Split] returning an invalid configuration (no seed, row
// counts, no such field, a field of another type) as an error wrapping
// [splitter.ErrUsage] instead of panicking.
func TrySplit(s beam.Scope, cfg KeyedConfig, rows beam.PCollection) ([]beam.PCollection, error) {
	fn, err := newKeyFn(cfg, rows.Type().Type())
	if err != nil {
		return nil, err
	}
	s = s.Scope("splitdata.Split")
	n := len(fn.Ratios)
	keyed := beam.ParDo(s, fn, rows)
	parts := beam.Partition(s, n, splitOf, keyed)
	out := make([]beam.PCollection, n)
	for j, p := range parts {
		out[j] = beam.DropKey(s, p)
	}
	return out, nil
}

// splitOf is the partition function of a row keyed by its split.
func splitOf(split int, _ beam.T) int { return split }

// keyFn keys each row by its split. The exported fields are its
// serialized configuration.
type keyFn struct {
	Seed   string    `json:"seed"`
	Ratios []float64 `json:"ratios"`
	// Path is the key field's index path (reflect.Value.FieldByIndex,
	// through pointers to structs).
	Path []int `json:"path"`

	hasher *splitter.GroupHasher
	assign *splitter.Assigner
	buf    []byte
	keys   [1]uint64
	ids    [1]uint8
}

// newKeyFn checks cfg against the rows' type t and returns the DoFn.
func newKeyFn(cfg KeyedConfig, t reflect.Type) (*keyFn, error) {
	if cfg.Seed == "" {
		return nil, fmt.Errorf("%w: splitbeam: a keyed split needs a seed", splitter.ErrUsage)
	}
	if _, err := cfg.Seed.Int(); err != nil {
		return nil, fmt.Errorf("%w: splitbeam: %w", splitter.ErrUsage, err)
	}
	splits := cfg.Splits
	if len(splits) == 0 {
		splits = defaultSplits
	}
	if err := splitter.ValidateSplits(splits); err != nil {
		return nil, fmt.Errorf("splitbeam: %w", err)
	}
	ratios := make([]float64, len(splits))
	for j, sp := range splits {
		if sp.Rows != 0 {
			return nil, fmt.Errorf("%w: splitbeam: keyed splits take ratios, not row counts (split %q)", splitter.ErrUsage, sp.Name)
		}
		ratios[j] = sp.Ratio
	}
	if _, err := splitter.NewApproxAssigner(ratios); err != nil {
		return nil, fmt.Errorf("splitbeam: %w", err)
	}
	path, err := keyPath(t, cfg.Key)
	if err != nil {
		return nil, err
	}
	return &keyFn{Seed: string(cfg.Seed), Ratios: ratios, Path: path}, nil
}

// keyPath finds the field named by key in struct type t (or a pointer to
// one), dots separating nested fields, and checks its type.
func keyPath(t reflect.Type, key string) ([]int, error) {
	if key == "" {
		return nil, fmt.Errorf("%w: splitbeam: a keyed split needs a key field", splitter.ErrUsage)
	}
	var path []int
	ft := t
	for _, name := range strings.Split(key, ".") {
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() != reflect.Struct {
			return nil, fmt.Errorf("%w: splitbeam: key %q: %s is not a struct", splitter.ErrUsage, key, ft)
		}
		f, ok := fieldNamed(ft, name)
		if !ok {
			return nil, fmt.Errorf("%w: splitbeam: key %q: %s has no field %q", splitter.ErrUsage, key, ft, name)
		}
		path = append(path, f.Index...)
		ft = f.Type
	}
	for ft.Kind() == reflect.Pointer {
		ft = ft.Elem()
	}
	switch ft.Kind() {
	case reflect.Bool, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return path, nil
	case reflect.Slice:
		if ft.Elem().Kind() == reflect.Uint8 {
			return path, nil
		}
	}
	return nil, fmt.Errorf("%w: splitbeam: key %q is of type %s: want a bool, integer, string or []byte, as for --group", splitter.ErrUsage, key, ft)
}

// fieldNamed finds an exported field of struct type t by its beam tag
// name, its parquet tag name or its Go name, in that order.
func fieldNamed(t reflect.Type, name string) (reflect.StructField, bool) {
	for _, tag := range []string{"beam", "parquet"} {
		for i := range t.NumField() {
			f := t.Field(i)
			if f.IsExported() && tagName(f.Tag.Get(tag)) == name {
				return f, true
			}
		}
	}
	f, ok := t.FieldByName(name)
	return f, ok && f.IsExported()
}

// tagName is the name part of a struct tag value ("name,options").
func tagName(tag string) string {
	name, _, _ := strings.Cut(tag, ",")
	return name
}

// Setup builds the hasher and thresholds from the configuration.
func (f *keyFn) Setup() error {
	seed, err := prng.Seed(f.Seed).Int()
	if err != nil {
		return err
	}
	f.hasher = splitter.NewGroupHasher(seed)
	f.assign, err = splitter.NewApproxAssigner(f.Ratios)
	return err
}

// ProcessElement keys a row by its split.
func (f *keyFn) ProcessElement(row beam.T) (int, beam.T) {
	f.buf = groupBytes(f.buf[:0], keyValue(reflect.ValueOf(row), f.Path))
	f.keys[0] = f.hasher.Key(f.buf)
	f.assign.Assign(f.keys[:], 0, f.ids[:])
	return int(f.ids[0]), row
}

// keyValue follows path from v through pointers; an invalid Value stands
// for a nil pointer on the way (a null key).
func keyValue(v reflect.Value, path []int) reflect.Value {
	for _, i := range path {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}
			}
			v = v.Elem()
		}
		v = v.Field(i)
	}
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return reflect.Value{}
		}
		v = v.Elem()
	}
	return v
}

// groupBytes appends the canonical bytes of a key value, as the CLI reads
// the Parquet column a Go struct field of v's type is written as (by
// parquet-go): signed and unsigned integers of up to 32 bits are INT32,
// wider ones INT64, an unsigned value read back as the signed integer of
// the same bits. Types were checked by keyPath.
func groupBytes(b []byte, v reflect.Value) []byte {
	var value any
	switch {
	case !v.IsValid():
		value = nil
	case v.Kind() == reflect.Bool:
		value = v.Bool()
	case v.Kind() == reflect.String:
		value = v.String()
	case v.Kind() == reflect.Slice:
		value = v.Bytes() // nil is empty, as a required column holds it
	case v.CanInt() && v.Type().Size() <= 4:
		value = int32(v.Int())
	case v.CanInt():
		value = v.Int()
	case v.CanUint() && v.Type().Size() <= 4:
		value = int32(uint32(v.Uint()))
	case v.CanUint():
		value = int64(v.Uint())
	}
	b, err := splitter.AppendGroupValue(b, value)
	if err != nil { // unreachable: keyPath checked the type
		panic(err)
	}
	return b
}
