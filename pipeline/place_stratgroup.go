package pipeline

import (
	"cmp"
	"context"
	"fmt"
	"math/big"
	"slices"

	"github.com/splitdata/splitdata/internal/scratch"
	"github.com/splitdata/splitdata/splitter"
)

// Stratified grouped jobs (--stratify COL --group COL, docs/algorithm.md
// section 17): whole groups, each split's class shares close to the
// overall ones. The state that grows with the data (a class and a group
// key per row, the class counts of every group, every group's split) lives
// in row tables and temporary files; what is held in memory is bounded by
// the limit the job gives, whatever the number of rows or groups:
//
//  1. classes: the --stratify column, a class id per row (4 bytes, in a
//     row table: in memory up to limit/6, else a file);
//  2. groups: the --group column, a group key per row (8 bytes, in memory
//     up to limit/3, else a file);
//  3. ranges: a histogram of the keys' top 16 bits cuts the key space into
//     ranges of at most sgPairCap rows (one bucket may exceed it);
//  4. aggregate: with several ranges, one pass over the tables writes each
//     range's (key, class) pairs to a file of its own (up to maxRangeFiles
//     a pass); for each range, in key order, its pairs are sorted and
//     counted (compacted when the buffer fills):
//     those are the range's groups with their rows per class, appended in
//     key order to one temporary file per level ([splitter.GroupLevel]);
//  5. place: the levels from the highest down, each file in key order,
//     go through [splitter.StratifiedGroups], whose state is a row count
//     per split and class; each group's split is appended to a file;
//  6. join: for each range of at most sgJoinCap groups, its groups' splits
//     are read and sorted by key, and the class id of each of its rows in
//     the class table is replaced by the row's split.
//
// The main pass then reads each row's split from the class table.

// StratifiedGroupsInfo records the outcome of a stratified grouped split
// (SplitConfig.Stratify with SplitConfig.Group), in the manifest: how many
// groups there were, the classes, and per split its groups and its rows
// of each class, from which the class shares follow.
type StratifiedGroupsInfo struct {
	// Groups is the number of groups: distinct group keys (two values
	// whose keys collide are one group, kept whole like any other).
	Groups int64 `json:"groups"`
	// Classes are the class values in class order (ascending canonical
	// bytes): the value's text, null for the null class.
	Classes []*string `json:"classes"`
	// Splits are the named splits in order (k-fold: the folds).
	Splits []StratifiedGroupsSplit `json:"splits"`
}

// StratifiedGroupsSplit is one split of a [StratifiedGroupsInfo]: its name,
// its groups, and its rows of each class, in class order.
type StratifiedGroupsSplit struct {
	Name   string  `json:"name"`
	Groups int64   `json:"groups"`
	Rows   []int64 `json:"rows"`
}

// sgPair is a (group key, class) pair of a range and its rows.
type sgPair struct {
	key   uint64
	class uint32
	count int64
}

// sgAssign is a group's split.
type sgAssign struct {
	key   uint64
	split uint8
}

const sgBuckets = 1 << 16 // key ranges are unions of buckets of the top 16 bits

// maxRangeFiles bounds the files of (key, class) pairs written in one pass
// over the row tables, and so the file descriptors and write buffers.
const maxRangeFiles = 128

// stratGroupPlacer builds the assignment of a stratified grouped job over
// the plan's rows (the passes above), with splits the job's split list
// (k-fold: the folds sized as counts). It returns the place function, the
// rows in no split, the outcome for the manifest and a function that
// releases the row table once the job is done. limit bounds what it holds
// (row tables beyond their share go to files in dir).
func stratGroupPlacer(ctx context.Context, splits []splitter.Split, p *plan, group, stratify string, seed *big.Int, workers int, limit int64, dir scratch.Dir, progress Progress) (placeFunc, int64, *StratifiedGroupsInfo, func(), error) {
	groupCol, err := groupColumns(p.schema, group)
	if err != nil {
		return nil, 0, nil, nil, err
	}
	classCol, err := columnFor(p.schema, "--stratify", stratify)
	if err != nil {
		return nil, 0, nil, nil, err
	}
	sizes, err := splitter.StratifiedGroupSizes(splits, p.rows)
	if err != nil {
		return nil, 0, nil, nil, err
	}
	progress.Phase(PhaseClasses, p.rows)
	lim := classLimits{what: fmt.Sprintf("--stratify %q with --group", stratify), classes: splitter.MaxStratifiedGroupClasses,
		bytes: splitter.MaxStratifyClassBytes}
	ct, err := readClasses(ctx, p, classCol, workers, limit/6, dir, lim, progress)
	if err != nil {
		return nil, 0, nil, nil, err
	}
	fail := func(err error) (placeFunc, int64, *StratifiedGroupsInfo, func(), error) {
		ct.ids.close()
		return nil, 0, nil, nil, err
	}
	greedy, err := splitter.NewStratifiedGroups(ct.counts, sizes)
	if err != nil {
		return fail(err)
	}
	progress.Phase(PhaseGroups, p.rows)
	keys, err := readGroupKeys(ctx, p, groupCol, seed, workers, limit/3, dir, progress, nil)
	if err != nil {
		return fail(err)
	}
	defer keys.close()
	progress.Phase(PhaseBoundaries, 0) // no rows counted: a spinner
	b := &sgBuild{keys: keys, classes: ct, greedy: greedy, dir: dir,
		pairCap: max(limit/2/24, 4096), joinCap: max(limit/2/16, 4096)}
	defer b.close()
	if err := b.run(ctx); err != nil {
		return fail(err)
	}
	info := &StratifiedGroupsInfo{Groups: b.groups, Classes: make([]*string, len(ct.names)), Splits: make([]StratifiedGroupsSplit, len(splits))}
	for c, name := range ct.names {
		if name[0] == 1 {
			text := name[1:]
			info.Classes[c] = &text
		}
	}
	counts := greedy.Counts()
	for j, s := range splits {
		info.Splits[j] = StratifiedGroupsSplit{Name: s.Name, Groups: greedy.Groups()[j], Rows: slices.Clone(counts[j])}
	}
	var unassigned int64
	if len(sizes) > len(splits) {
		unassigned = greedy.Rows()[len(splits)]
	}
	place := func(keys []uint64, start int64, ids []uint8) error {
		split, err := ct.ids.read(start, len(keys), nil)
		if err != nil {
			return err
		}
		for k, s := range split {
			ids[k] = uint8(s) // the rest is len(splits): in no split
		}
		return nil
	}
	return place, unassigned, info, ct.ids.close, nil
}

// sgBuild runs passes 3 to 6 of a stratified grouped job.
type sgBuild struct {
	keys    *rowTable[uint64]
	classes *classTable
	greedy  *splitter.StratifiedGroups
	dir     scratch.Dir
	pairCap int64 // pairs held while aggregating a range
	joinCap int64 // groups held while joining a range

	levels  [splitter.MaxGroupLevel + 1]*spillFile
	assign  *spillFile
	groups  int64            // groups found
	buckets [sgBuckets]int64 // groups per bucket
	scratch []uint32         // class ids read from a file
	pairs   []sgPair         // a range's pairs
	cls     []uint32         // a group's classes
	cnt     []int64          // and its rows of each
	found   []sgAssign       // a range's assignments
	rows    [sgBuckets]int64 // rows per bucket (histogram)
}

func (b *sgBuild) run(ctx context.Context) error {
	var readErr error
	for _, vals := range b.keys.batches(&readErr) {
		for _, k := range vals {
			b.rows[k>>48]++
		}
	}
	if readErr != nil {
		return readErr
	}
	ranges := cutBuckets(b.rows[:], b.pairCap)
	var most int64 // rows of the largest range: the pairs it may need
	for _, r := range ranges {
		var sum int64
		for _, c := range b.rows[r[0] : r[1]+1] {
			sum += c
		}
		most = max(most, sum)
	}
	b.pairs = make([]sgPair, 0, max(min(b.pairCap, most), 1))
	if len(ranges) == 1 { // one pass over the tables
		r := ranges[0]
		if err := b.aggregate(r[0], r[1], func(fn func(key uint64, class uint32) error) error {
			return b.eachRow(ctx, r[0], r[1], false, func(k int, key uint64, vals []uint32) error { return fn(key, vals[k]) })
		}); err != nil {
			return err
		}
	}
	for lo := 0; len(ranges) > 1 && lo < len(ranges); lo += maxRangeFiles {
		// One pass over the tables writes each range's pairs to a file
		// of its own; each file is then aggregated alone.
		batch := ranges[lo:min(lo+maxRangeFiles, len(ranges))]
		files, err := b.distribute(ctx, batch)
		for i, r := range batch {
			if err == nil {
				err = b.aggregate(r[0], r[1], func(fn func(key uint64, class uint32) error) error {
					return files[i].eachPair(ctx, fn)
				})
			}
			if files[i] != nil {
				files[i].close()
			}
		}
		if err != nil {
			return err
		}
	}
	b.pairs = nil
	if err := b.place(ctx); err != nil {
		return err
	}
	for _, r := range cutBuckets(b.buckets[:], b.joinCap) {
		if err := b.join(ctx, r[0], r[1]); err != nil {
			return err
		}
	}
	return nil
}

// cutBuckets cuts buckets 0 to len(counts)-1 into consecutive ranges
// [first, last] whose counts sum to at most limit; a bucket above limit is
// a range of its own.
func cutBuckets(counts []int64, limit int64) [][2]int {
	var out [][2]int
	first, sum := 0, int64(0)
	for i, c := range counts {
		if i > first && sum+c > limit {
			out = append(out, [2]int{first, i - 1})
			first, sum = i, 0
		}
		sum += c
	}
	return append(out, [2]int{first, len(counts) - 1})
}

// eachRow passes every row whose key lies in buckets [first, last] to fn
// with its position in the batch; vals are the class table's values of
// the batch, which fn may change (then the batch is written back when
// write is set).
func (b *sgBuild) eachRow(ctx context.Context, first, last int, write bool, fn func(k int, key uint64, vals []uint32) error) error {
	var readErr error
	for start, keys := range b.keys.batches(&readErr) {
		if err := ctx.Err(); err != nil {
			return err
		}
		vals, err := b.classes.ids.read(start, len(keys), b.scratch)
		if err != nil {
			return err
		}
		if b.classes.ids.mem == nil {
			b.scratch = vals
		}
		touched := false
		for k, key := range keys {
			if bk := int(key >> 48); bk >= first && bk <= last {
				if err := fn(k, key, vals); err != nil {
					return err
				}
				touched = true
			}
		}
		if write && touched {
			if err := b.classes.ids.write(start, vals); err != nil {
				return err
			}
		}
	}
	return readErr
}

// distribute writes the (key, class) pairs of the rows of each range to a
// file of its own, in one pass over the tables. On error it returns the
// files made so far, for the caller to close.
func (b *sgBuild) distribute(ctx context.Context, ranges [][2]int) ([]*spillFile, error) {
	files := make([]*spillFile, len(ranges))
	var of [sgBuckets]int32
	for i, r := range ranges {
		f, err := newSpillFile(b.dir, "splitdata-group-pairs", len(ranges))
		if err != nil {
			return files, err
		}
		files[i] = f
		for bk := r[0]; bk <= r[1]; bk++ {
			of[bk] = int32(i)
		}
	}
	err := b.eachRow(ctx, ranges[0][0], ranges[len(ranges)-1][1], false, func(k int, key uint64, vals []uint32) error {
		return files[of[key>>48]].writePair(key, vals[k])
	})
	return files, err
}

// aggregate finds the groups of buckets [first, last], whose rows' (key,
// class) pairs source passes on, with their rows per class, and appends
// them, in key order, to their levels' files.
func (b *sgBuild) aggregate(first, last int, source func(fn func(key uint64, class uint32) error) error) error {
	pairs := b.pairs[:0]
	err := source(func(key uint64, class uint32) error {
		if len(pairs) == cap(pairs) {
			pairs = compactPairs(pairs)
			if int64(len(pairs)) > int64(cap(pairs))*3/4 {
				return fmt.Errorf("%w: --stratify with --group: more than %d distinct (group, class) pairs among the group keys from %#x to %#x; raise --memory",
					ErrTooLarge, len(pairs), uint64(first)<<48, uint64(last)<<48|(1<<48-1))
			}
		}
		pairs = append(pairs, sgPair{key: key, class: class, count: 1})
		return nil
	})
	if err != nil {
		return err
	}
	pairs = compactPairs(pairs)
	for i := 0; i < len(pairs); {
		key := pairs[i].key
		cls, cnt := b.cls[:0], b.cnt[:0]
		var rows int64
		for ; i < len(pairs) && pairs[i].key == key; i++ {
			cls, cnt = append(cls, pairs[i].class), append(cnt, pairs[i].count)
			rows += pairs[i].count
		}
		b.cls, b.cnt = cls, cnt
		level := splitter.GroupLevel(rows)
		if b.levels[level] == nil {
			f, err := newSpillFile(b.dir, "splitdata-groups", len(b.levels))
			if err != nil {
				return err
			}
			b.levels[level] = f
		}
		if err := b.levels[level].writeGroup(key, cls, cnt); err != nil {
			return err
		}
		b.groups++
		b.buckets[key>>48]++
	}
	b.pairs = pairs[:0]
	return nil
}

// compactPairs sorts pairs by (key, class) and merges equal pairs.
func compactPairs(pairs []sgPair) []sgPair {
	slices.SortFunc(pairs, func(a, b sgPair) int {
		return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.class, b.class))
	})
	out := pairs[:0]
	for _, p := range pairs {
		if n := len(out); n > 0 && out[n-1].key == p.key && out[n-1].class == p.class {
			out[n-1].count += p.count
			continue
		}
		out = append(out, p)
	}
	return out
}

// place runs the greedy rule over the levels, highest first, and appends
// every group's split to the assignment file.
func (b *sgBuild) place(ctx context.Context) error {
	f, err := newSpillFile(b.dir, "splitdata-group-splits", 1)
	if err != nil {
		return err
	}
	b.assign = f
	m := len(b.classes.counts)
	for level := splitter.MaxGroupLevel; level >= 0; level-- {
		if b.levels[level] == nil {
			continue
		}
		err := b.levels[level].eachGroup(m, func(key uint64, cls []uint32, cnt []int64) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			return f.writeAssign(key, uint8(b.greedy.Place(cls, cnt)))
		})
		if err != nil {
			return err
		}
		b.levels[level].close()
		b.levels[level] = nil
	}
	return nil
}

// join replaces the class id of every row of buckets [first, last] in the
// class table by its group's split.
func (b *sgBuild) join(ctx context.Context, first, last int) error {
	found := b.found[:0]
	err := b.assign.eachAssign(func(a sgAssign) {
		if bk := int(a.key >> 48); bk >= first && bk <= last {
			found = append(found, a)
		}
	})
	if err != nil {
		return err
	}
	slices.SortFunc(found, func(a, b sgAssign) int { return cmp.Compare(a.key, b.key) })
	b.found = found[:0]
	return b.eachRow(ctx, first, last, true, func(k int, key uint64, vals []uint32) error {
		i, ok := slices.BinarySearchFunc(found, key, func(a sgAssign, key uint64) int { return cmp.Compare(a.key, key) })
		if !ok {
			return fmt.Errorf("internal error: group key %#x has no split", key)
		}
		vals[k] = uint32(found[i].split)
		return nil
	})
}

func (b *sgBuild) close() {
	for i, f := range b.levels {
		if f != nil {
			f.close()
			b.levels[i] = nil
		}
	}
	if b.assign != nil {
		b.assign.close()
		b.assign = nil
	}
}
