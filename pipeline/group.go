package pipeline

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"
	"golang.org/x/sync/errgroup"

	"github.com/splitdata/splitdata/internal/scratch"
	"github.com/splitdata/splitdata/sources"
	"github.com/splitdata/splitdata/splitter"
)

// groupSpec is what a row's group is made of (docs/algorithm.md sections
// 7b and 19): leaf columns in the listed order (--group A,B), each by its
// value's canonical bytes, joined with lengths when there are several. A
// content spec (--group-by-content) takes columns of any non-repeated type
// (floats too), all of them unless listed.
type groupSpec struct {
	cols    []int
	content bool
	all     bool // every leaf column, in schema order
}

// groupColumns resolves a --group list, one column or several separated
// by commas, each a non-repeated boolean, integer or string column.
// Errors wrap ErrUsage.
func groupColumns(schema *parquet.Schema, list string) (groupSpec, error) {
	names, err := columnList(schema, "--group", list)
	if err != nil {
		return groupSpec{}, err
	}
	g := groupSpec{cols: make([]int, len(names))}
	for k, name := range names {
		if g.cols[k], err = columnFor(schema, "--group", name); err != nil {
			return groupSpec{}, err
		}
	}
	return g, nil
}

// contentColumns resolves the columns of --group-by-content: those of the
// list, or, when it is empty, every leaf column of the schema. A repeated
// column (a list or a map) is refused: its values are not compared.
// Errors wrap ErrUsage.
func contentColumns(schema *parquet.Schema, list string) (groupSpec, error) {
	const flag = "--group-by-content"
	g := groupSpec{content: true}
	if list == "" {
		g.all = true
		for k, path := range schema.Columns() {
			leaf, _ := schema.Lookup(path...)
			if leaf.MaxRepetitionLevel > 0 {
				return groupSpec{}, fmt.Errorf("%w: %s: column %q is repeated (a list or a map), whose values are not compared; name the columns to compare, --group-by-content=COL,COL",
					ErrUsage, flag, strings.Join(path, "."))
			}
			g.cols = append(g.cols, k)
		}
		if len(g.cols) == 0 {
			return groupSpec{}, fmt.Errorf("%w: %s: the input has no columns", ErrUsage, flag)
		}
		return g, nil
	}
	names, err := columnList(schema, flag, list)
	if err != nil {
		return groupSpec{}, err
	}
	for _, name := range names {
		leaf, ok := schema.Lookup(strings.Split(name, ".")...)
		if !ok {
			return groupSpec{}, fmt.Errorf("%w: %s %q: no such column; the columns are %s", ErrUsage, flag, name, columnNames(schema))
		}
		if leaf.MaxRepetitionLevel > 0 {
			return groupSpec{}, fmt.Errorf("%w: %s %q: unsupported column type: a repeated column (a list or a map) is not compared", ErrUsage, flag, name)
		}
		g.cols = append(g.cols, leaf.ColumnIndex)
	}
	return g, nil
}

// columnList splits a list of column names at commas, unless the whole
// list names a column (whose name holds a comma). An empty name, or a
// column named twice, is an error wrapping ErrUsage.
func columnList(schema *parquet.Schema, flag, list string) ([]string, error) {
	if _, ok := schema.Lookup(strings.Split(list, ".")...); ok {
		return []string{list}, nil
	}
	names := strings.Split(list, ",")
	for k, name := range names {
		switch {
		case name == "":
			return nil, fmt.Errorf("%w: %s %q: empty column name in the list", ErrUsage, flag, list)
		case slices.Contains(names[:k], name):
			return nil, fmt.Errorf("%w: %s %q: column %q named twice", ErrUsage, flag, list, name)
		}
	}
	return names, nil
}

// appendBytes appends the canonical bytes of row's group to b: what
// docs/algorithm.md hashes into its group key (section 19; for one
// --group column, section 7b's bytes).
func (g groupSpec) appendBytes(b []byte, row parquet.Row) []byte {
	if len(g.cols) == 1 {
		return g.appendValue(b, columnValue(row, g.cols[0]))
	}
	// A row of non-repeated leaves holds one value per leaf, in column
	// order: every column at once needs no search.
	direct := g.all && len(row) == len(g.cols)
	for k, col := range g.cols {
		v := parquet.Value{}
		if direct && row[k].Column() == col {
			v = row[k]
		} else {
			v = columnValue(row, col)
		}
		var start int
		b, start = splitter.BeginCompositePart(b)
		b = g.appendValue(b, v)
		b = splitter.EndCompositePart(b, start)
	}
	return b
}

// appendValue appends the canonical bytes of one value of the group.
func (g groupSpec) appendValue(b []byte, v parquet.Value) []byte {
	if g.content {
		return contentBytes(b, v)
	}
	return canonicalBytes(b, v)
}

// contentBytes appends the canonical bytes of a value compared by content
// (docs/algorithm.md section 19): canonicalBytes for the types --group
// takes; a FLOAT or DOUBLE as 8 bytes big-endian of the float64 value,
// -0.0 as 0.0 and every NaN alike; an INT96 as its 12 stored bytes; a
// fixed-length byte array as its bytes. A null is null at whatever level
// of nesting it is.
func contentBytes(b []byte, v parquet.Value) []byte {
	if v.IsNull() {
		return append(b, 0)
	}
	switch v.Kind() {
	case parquet.Float:
		return splitter.AppendFloatValue(b, float64(v.Float()))
	case parquet.Double:
		return splitter.AppendFloatValue(b, v.Double())
	case parquet.Int96:
		b = append(b, 1)
		for _, w := range v.Int96() {
			b = binary.LittleEndian.AppendUint32(b, w)
		}
		return b
	}
	return canonicalBytes(b, v)
}

// readGroupBytes passes the canonical bytes of the group of every row k of
// unit u to fn, in row order: from the group's columns alone where the
// source can read them (readGroupColumns), else from whole rows. It
// checks that the unit holds its rows. The bytes are valid only until fn
// returns.
func readGroupBytes(ctx context.Context, p *plan, u unit, g groupSpec, fn func(k int, b []byte)) error {
	if testHookGroupRead != nil {
		testHookGroupRead(u)
	}
	if len(g.cols) == 1 && !g.content {
		return readCanonical(ctx, p, u, g.cols[0], fn)
	}
	if cr, ok := p.inputs[u.input].(sources.ColumnsReader); ok && u.whole(p.inputs[u.input]) {
		return readGroupColumns(ctx, p, u, g, cr, fn)
	}
	k := 0
	var buf []byte
	err := p.inputs[u.input].ReadUnit(ctx, u.rg, readBatch, func(rows []parquet.Row) error {
		for _, row := range rows {
			if int64(k) == u.rows {
				return unitRowsError(p, u, -1)
			}
			buf = g.appendBytes(buf[:0], row)
			fn(k, buf)
			k++
		}
		return nil
	})
	if err == nil && int64(k) != u.rows {
		err = unitRowsError(p, u, k)
	}
	return err
}

// readGroupKeys reads the group columns of every unit of the plan (the
// column alone where the source can) and returns every row's group key,
// kept in memory up to limit bytes (8 per row), else in a temporary file
// in dir; units are read on up to workers goroutines. With content set (a
// content job's manifest counts), the same read counts the groups by
// their bytes (contentCount, holding up to limit bytes of them) into
// *content. The caller closes the table.
func readGroupKeys(ctx context.Context, p *plan, g groupSpec, seed *big.Int, workers int, limit int64, dir scratch.Dir, progress Progress, content *ContentStats) (*rowTable[uint64], error) {
	keys, err := newRowTable[uint64](p.rows, limit, dir)
	if err != nil {
		return nil, err
	}
	var count *contentCount
	if content != nil {
		if count, err = newContentCount(p, workers, limit, dir); err != nil {
			keys.close()
			return nil, err
		}
		defer count.close()
	}
	eg, gctx := errgroup.WithContext(ctx)
	eg.SetLimit(workers)
	for _, u := range p.units {
		eg.Go(func() error {
			h := splitter.NewGroupHasher(seed)
			out := make([]uint64, u.rows)
			var err error
			if count != nil {
				err = readContentKeys(gctx, p, u, g, h.Key, count.newPiece(), out)
			} else {
				c := newKeyCache(h)
				err = readGroupBytes(gctx, p, u, g, func(k int, canonical []byte) { out[k] = c.key(k, canonical) })
			}
			if err != nil {
				return err
			}
			progress.Add(u.rows)
			return keys.write(u.start, out)
		})
	}
	err = eg.Wait()
	if err == nil {
		err = ctx.Err()
	}
	if err == nil && count != nil {
		*content, err = count.finish()
	}
	if err != nil {
		keys.close()
		return nil, err
	}
	return keys, nil
}

// readContentKeys puts the group keys of unit u's rows in out and counts
// the rows in piece, whose records give the keys of the values they hold,
// hash those of the others (contentPiece.keyOf). The piece is flushed.
func readContentKeys(ctx context.Context, p *plan, u unit, g groupSpec, hash func([]byte) uint64, piece *contentPiece, out []uint64) error {
	var addErr error
	err := readGroupBytes(ctx, p, u, g, func(k int, b []byte) {
		if addErr == nil {
			out[k], addErr = piece.keyOf(hash, b)
		}
	})
	if err == nil {
		err = addErr
	}
	if err == nil {
		err = piece.flush()
	}
	return err
}

// testHookGroupRead, when set by a test, is called for every unit whose
// group columns are read (readGroupBytes).
var testHookGroupRead func(u unit)

// A unit's cache of group keys holds at most groupCacheEntries values of
// at most groupCacheBytes canonical bytes each: at most about 0.5 MiB per
// worker.
const (
	groupCacheEntries = 4096
	groupCacheBytes   = 64
)

// keyCache gives the group keys of one unit's rows, in order: a value seen
// before in the unit takes its key from the cache rather than
// HMAC-SHA-256 again (flights' origin: 3 million rows, a few hundred
// values). Only short values are kept, up to groupCacheEntries; once the
// cache is full, one that served under a quarter of the rows so far is
// dropped (ids that rarely repeat), so that their lookups cost no more.
type keyCache struct {
	h    *splitter.GroupHasher
	seen map[string]uint64 // nil: dropped
	hits int
}

func newKeyCache(h *splitter.GroupHasher) *keyCache {
	return &keyCache{h: h, seen: make(map[string]uint64)}
}

// key returns the group key of canonical, the canonical bytes of row k of
// the unit (rows in order from 0).
func (c *keyCache) key(k int, canonical []byte) uint64 {
	if c.seen == nil {
		return c.h.Key(canonical)
	}
	if key, ok := c.seen[string(canonical)]; ok {
		c.hits++
		return key
	}
	key := c.h.Key(canonical)
	switch {
	case len(canonical) > groupCacheBytes:
	case len(c.seen) < groupCacheEntries:
		c.seen[string(canonical)] = key
	case c.hits < k/4:
		c.seen = nil
	}
	return key
}

// rowBalancedKeys is the first pass of a grouped split balanced by rows
// (docs/algorithm.md section 14): it reads the group columns and keeps
// every row's group key (in memory up to limit bytes, else in a temporary
// file in dir), finds the thresholds by a radix select over them within
// what the keys leave of memory (searchMemory), and counts the rows in no
// split; with content set, the read counts a content job's groups into it
// (readGroupKeys). It returns the table, which the caller closes, with the
// threshold assigner of group keys.
func rowBalancedKeys(ctx context.Context, splits []splitter.Split, p *plan, g groupSpec, seed *big.Int, workers int, limit, memory int64, dir scratch.Dir, progress Progress, content *ContentStats) (*rowTable[uint64], *splitter.ThresholdAssigner, int64, error) {
	progress.Phase("groups", p.rows)
	keys, err := readGroupKeys(ctx, p, g, seed, workers, limit, dir, progress, content)
	if err != nil {
		return nil, nil, 0, err
	}
	fail := func(err error) (*rowTable[uint64], *splitter.ThresholdAssigner, int64, error) {
		keys.close()
		return nil, nil, 0, err
	}
	progress.Phase("boundaries", 0) // no rows counted: a spinner
	var readErr error
	held := tableBytes(keys)
	upper, err := splitter.RowBalancedThresholds(ctx, keys.batches(&readErr), p.rows, splits, workers, searchMemory(memory, held))
	if err == nil {
		err = readErr
	}
	if err != nil {
		return fail(searchError(err, "--ratio-by rows", memory, held, 1, len(splits)))
	}
	a := splitter.NewThresholdAssigner(upper)
	var unassigned int64
	ids := make([]uint8, 1<<16)
	for start, batch := range keys.batches(&readErr) {
		a.Assign(batch, start, ids[:len(batch)])
		for _, id := range ids[:len(batch)] {
			if int(id) >= len(splits) {
				unassigned++
			}
		}
	}
	if readErr != nil {
		return fail(readErr)
	}
	return keys, a, unassigned, nil
}

// rowBalancedAssigner is the assigner of group keys of a grouped split
// balanced by rows (rowBalancedKeys), for callers that hash each row's
// group again (verify): the table is closed.
func rowBalancedAssigner(ctx context.Context, splits []splitter.Split, p *plan, g groupSpec, seed *big.Int, workers int, limit, memory int64, dir scratch.Dir, progress Progress) (keyAssigner, int64, error) {
	keys, a, unassigned, err := rowBalancedKeys(ctx, splits, p, g, seed, workers, limit, memory, dir, progress, nil)
	if err != nil {
		return nil, 0, err
	}
	keys.close()
	return a, unassigned, nil
}

// rowBalancedPlacer is the placer of a grouped split balanced by rows: it
// reads each row's group key back from rowBalancedKeys's table by its
// global index, so the main pass hashes no group value and needs no rows
// (it runs on the columnar path where it can). With content set, the
// first pass counts a content job's groups into it. It returns a function
// that releases the table once the job is done.
func rowBalancedPlacer(ctx context.Context, splits []splitter.Split, p *plan, g groupSpec, seed *big.Int, workers int, limit, memory int64, dir scratch.Dir, progress Progress, content *ContentStats) (placeFunc, int64, func(), error) {
	keys, a, unassigned, err := rowBalancedKeys(ctx, splits, p, g, seed, workers, limit, memory, dir, progress, content)
	if err != nil {
		return nil, 0, nil, err
	}
	return tablePlace(keys, a), unassigned, keys.close, nil
}

// tablePlace is the placeFunc of a grouped job whose group keys a first
// pass put in keys: row start+k goes where a assigns its group's key (the
// hash of its group's canonical bytes, groupSpec.appendBytes). The row's
// own key, which orders it within its split, is left alone.
func tablePlace(keys *rowTable[uint64], a keyAssigner) placeFunc {
	return func(rowKeys []uint64, start int64, ids []uint8) error {
		group, err := keys.read(start, len(rowKeys), nil)
		if err != nil {
			return err
		}
		a.Assign(group, start, ids[:len(rowKeys)])
		return nil
	}
}

// groupPlacer is the placer of a grouped split by groups that places its
// rows from a table of group keys: a first pass (readGroupKeys) keeps every
// row's group key, in memory up to limit bytes, else in a temporary file
// in dir, and the placer assigns each row by its group's key with a, read
// back by the row's global index. With content set, the first pass counts
// a content job's groups into it. It returns a function that releases the
// table once the job is done.
func groupPlacer(ctx context.Context, a keyAssigner, p *plan, g groupSpec, seed *big.Int, workers int, limit int64, dir scratch.Dir, progress Progress, content *ContentStats) (placeFunc, func(), error) {
	progress.Phase("groups", p.rows)
	keys, err := readGroupKeys(ctx, p, g, seed, workers, limit, dir, progress, content)
	if err != nil {
		return nil, nil, err
	}
	return tablePlace(keys, a), keys.close, nil
}
