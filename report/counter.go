package report

import (
	"cmp"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/axiomhq/hyperloglog"
	metro "github.com/dgryski/go-metro"

	"github.com/splitdata/splitdata/internal/columnar"
)

// MaxExactValues is how many distinct values of a string or boolean
// column a split counts exactly; beyond, the counts are a Misra-Gries
// summary of that many counters (mergeable as in Agarwal et al., 2012):
// a value's count is then low by at most [counter.slack], which the
// report gives as the counts' error.
const MaxExactValues = 1024

// maxValueBytes caps the bytes of a value kept as a key of the counts:
// longer values are cut, and counted together with values sharing their
// first maxValueBytes bytes.
const maxValueBytes = 96

// counter counts the values of a column in one split. Values are found
// by their 64-bit metro hash (the one the HyperLogLog takes) in a table
// of its own (open addressing, linear probing), so counting allocates
// nothing once the counters are full: two values whose hashes collide
// (about one chance in 10^13 among 1,024 values) would be counted as one.
//
// The HyperLogLog is made only once the counts stop being exact: until
// then the counters hold every value seen, and their hashes are what it
// would have been given. Its state depends only on the set of hashes
// given to it, not on their order or repeats, so its estimate is the one
// of a sketch given every value as it came. Once the counts stop being
// exact, hashes are first kept in a buffer (pendCap of them at most),
// which a merge gives to the merged counter's sketch: a unit of a scan
// seldom needs a sketch of its own. One that does, with more than 2^14
// distinct 25-bit hash prefixes in its buffer, starts dense: a sparse
// HyperLogLog++ sketch of 2^14 registers turns dense past 2^14 distinct
// sparse entries, which are 25-bit prefixes and more, so every sketch
// holding these hashes ends dense, with the same registers, and the
// costly sparse inserts of each unit are skipped.
type counter struct {
	tab   hashTable
	slots []slot
	free  []int32
	// slack bounds how much any count is low, once the values outgrew
	// MaxExactValues; 0 while the counts are exact.
	slack int64
	// cut is set when a value longer than maxValueBytes was cut.
	cut bool
	// hll and pend are nil while the counts are exact and hold every
	// value; then pend holds the hashes of the values seen, until hll is
	// made of them (flush).
	hll     *hyperloglog.Sketch
	pend    []uint64
	pendBuf []uint64 // pend's memory, kept across resets
}

// pendCap is the most hashes a counter keeps before it makes its
// HyperLogLog (192 KiB): more than 2^14, so that a buffer of distinct
// values can show that the sketch would end dense.
const pendCap = 24 << 10

// sparseLimit is the number of distinct sparse entries past which the
// HyperLogLog sketch (precision 14) turns dense.
const sparseLimit = 1 << 14

// slot is one counted value.
type slot struct {
	hash  uint64
	count int64
	value []byte
}

// hashSeed is the seed of the hash the HyperLogLog sketch's Insert uses,
// so that InsertHash of our hash is the same.
const hashSeed = 1337

func newCounter() *counter { return &counter{} }

func (c *counter) add(key []byte) { c.addHash(metro.Hash64(key, hashSeed), key) }

// addHash counts key, whose metro hash is h.
func (c *counter) addHash(h uint64, key []byte) {
	c.see(h)
	if len(key) > maxValueBytes {
		if !c.spilled() {
			c.spill()
			c.see(h)
		}
		key, c.cut = key[:maxValueBytes], true
		h = metro.Hash64(key, hashSeed)
	}
	c.addHashed(h, key, 1)
}

// spilled reports whether the counts may no longer hold every value:
// then the values' hashes go to pend or hll.
func (c *counter) spilled() bool { return c.hll != nil || c.pend != nil }

// spill starts keeping the values' hashes apart, with those of the
// counted values: to be called before the counts stop holding every
// value (one is cut, or dropped), while they still do.
func (c *counter) spill() {
	if c.spilled() {
		return
	}
	c.pend = c.pendBuf[:0]
	for _, sl := range c.slots {
		if sl.count > 0 {
			c.pend = append(c.pend, sl.hash)
		}
	}
}

// see adds hash h to the values' hashes, once they are kept apart.
func (c *counter) see(h uint64) {
	switch {
	case c.hll != nil:
		c.hll.InsertHash(h)
	case c.pend != nil:
		if c.pend = append(c.pend, h); len(c.pend) >= pendCap {
			c.flush()
		}
	}
}

// flush makes the HyperLogLog of the pending hashes: dense if they have
// more than sparseLimit distinct 25-bit prefixes (see counter).
func (c *counter) flush() {
	if manyPrefixes(c.pend) {
		c.hll = hyperloglog.NewNoSparse()
	} else {
		c.hll = hyperloglog.New14()
	}
	for _, h := range c.pend {
		c.hll.InsertHash(h)
	}
	c.pendBuf, c.pend = c.pend[:0], nil
}

// distinctSketch returns the HyperLogLog of every value seen, once the
// values' hashes are kept apart.
func (c *counter) distinctSketch() *hyperloglog.Sketch {
	c.spill()
	if c.hll == nil {
		c.flush()
	}
	return c.hll
}

// addHashed adds n to the count of key (hash h), or, the counters being
// full, takes one from every count (Misra-Gries) and drops key.
func (c *counter) addHashed(h uint64, key []byte, n int64) {
	place, i, ok := c.tab.find(h)
	if ok {
		c.slots[i].count += n
		return
	}
	if c.tab.n < MaxExactValues {
		c.insertAt(place, h, key, n)
		return
	}
	c.drop(h)
}

// drop drops a value of hash h, not counted, the counters being full:
// every count loses one (Misra-Gries).
func (c *counter) drop(h uint64) {
	if !c.spilled() {
		c.spill()
		c.see(h)
	}
	c.slack++
	c.decrement()
}

// decrement takes one from every count, frees the slots whose count
// falls to 0 (in slot order) and takes them out of the table. On a
// column of distinct values every count is 1, and every slot is freed:
// then the table is only emptied.
func (c *counter) decrement() {
	slots, free := c.slots, c.free
	at := len(free)
	for i := range slots {
		n := slots[i].count
		if n == 0 {
			continue
		}
		n--
		slots[i].count = n
		if n == 0 {
			free = append(free, int32(i))
		}
	}
	c.free = free
	switch freed := len(free) - at; {
	case freed == 0:
	case freed == c.tab.n:
		c.tab.reset()
	default:
		c.reindex()
	}
}

// addChunk counts the values of a chunk of a column of bytes (vh their
// hashes, chunkHashes) as addHash counts them one by one, and returns the
// number of nulls. The steps of addHash, see and addHashed are written
// out for a value of at most maxValueBytes: one call per value is most
// of the cost of counting a column of few values.
func (c *counter) addChunk(ch *columnar.Chunk, vh []uint64) (nulls int64) {
	vh = vh[:ch.N]
	for k, h := range vh {
		if ch.Null(k) {
			nulls++
			continue
		}
		key := chunkBytes(ch, k)
		if len(key) > maxValueBytes {
			c.addHash(h, key)
			continue
		}
		switch {
		case c.hll != nil:
			c.hll.InsertHash(h)
		case c.pend != nil:
			if c.pend = append(c.pend, h); len(c.pend) >= pendCap {
				c.flush()
			}
		}
		place, i, ok := c.tab.find(h)
		switch {
		case ok:
			c.slots[i].count++
		case c.tab.n < MaxExactValues:
			c.insertAt(place, h, key, 1)
		default:
			c.drop(h)
		}
	}
	return nulls
}

// insert counts n of key (hash h), not yet counted, in a slot of its
// own.
func (c *counter) insert(h uint64, key []byte, n int64) { c.insertAt(-1, h, key, n) }

// insertAt is insert, h's place in the table found (hashTable.find):
// the key is set there unless the table is empty or must grow first.
func (c *counter) insertAt(at int, h uint64, key []byte, n int64) {
	var i int32
	if k := len(c.free); k > 0 {
		i = c.free[k-1]
		c.free = c.free[:k-1]
	} else {
		// A reset counter's slots keep their value's memory.
		if len(c.slots) < cap(c.slots) {
			c.slots = c.slots[:len(c.slots)+1]
		} else {
			c.slots = append(c.slots, slot{})
		}
		i = int32(len(c.slots) - 1)
	}
	sl := &c.slots[i]
	sl.hash, sl.count = h, n
	if len(key) <= cap(sl.value) {
		// The slot's memory holds the key: no new slice is stored.
		sl.value = sl.value[:len(key)]
		copy(sl.value, key)
	} else {
		sl.value = append(sl.value[:0], key...)
	}
	t := &c.tab
	if at >= 0 && 4*(t.n+1) <= len(t.keys) {
		t.keys[at], t.vals[at] = h, i+1
		t.n++
		return
	}
	t.put(h, i)
}

// reset empties c, as newCounter makes it, keeping its memory.
func (c *counter) reset() {
	c.tab.reset()
	c.slots, c.free = c.slots[:0], c.free[:0]
	c.slack, c.cut, c.hll, c.pend = 0, false, nil, nil
}

// reindex rebuilds the table from the slots whose count is not 0, after
// some fell to 0: one pass, rather than a deletion per value.
func (c *counter) reindex() {
	c.tab.reset()
	for i, sl := range c.slots {
		if sl.count > 0 {
			c.tab.put(sl.hash, int32(i))
		}
	}
}

// exact reports whether the counts are exact, every value whole.
func (c *counter) exact() bool { return c.slack == 0 && !c.cut }

// view returns the counted values and their counts.
func (c *counter) view() map[string]int64 {
	m := make(map[string]int64, c.tab.n)
	for _, sl := range c.slots {
		if sl.count > 0 {
			m[string(sl.value)] = sl.count
		}
	}
	return m
}

// merge adds o's counts into c; beyond MaxExactValues counters, every
// count loses the (MaxExactValues+1)-th largest, which adds to slack.
func (c *counter) merge(o *counter) {
	if o.spilled() || c.spilled() {
		c.spill()
		switch {
		case o.hll != nil:
			_ = c.distinctSketch().Merge(o.hll) // same precision by construction
		case o.pend != nil:
			for _, h := range o.pend {
				c.see(h)
			}
		default:
			for _, sl := range o.slots {
				if sl.count > 0 {
					c.see(sl.hash)
				}
			}
		}
	}
	c.cut = c.cut || o.cut
	c.slack += o.slack
	for _, sl := range o.slots {
		if sl.count == 0 {
			continue
		}
		if i, ok := c.tab.get(sl.hash); ok {
			c.slots[i].count += sl.count
		} else {
			c.insert(sl.hash, sl.value, sl.count)
		}
	}
	if c.tab.n <= MaxExactValues {
		return
	}
	// Here both held every value they saw (else c keeps hashes apart):
	// c now does, before the cut below.
	c.spill()
	ns := make([]int64, 0, c.tab.n)
	for _, sl := range c.slots {
		if sl.count > 0 {
			ns = append(ns, sl.count)
		}
	}
	slices.SortFunc(ns, func(a, b int64) int { return cmp.Compare(b, a) })
	cut := ns[MaxExactValues]
	c.slack += cut
	for i := range c.slots {
		sl := &c.slots[i]
		if sl.count == 0 {
			continue
		}
		if sl.count <= cut {
			sl.count = 0
			c.free = append(c.free, int32(i))
		} else {
			sl.count -= cut
		}
	}
	c.reindex()
}

// distinct is the number of distinct values: exact while the counts
// are, else HyperLogLog++'s estimate (precision 14: about 0.8% standard
// error; exact-sparse below a few thousand values).
func (c *counter) distinct() (uint64, bool) {
	if c.exact() {
		return uint64(c.tab.n), true
	}
	return c.distinctSketch().Estimate(), false
}

// ValueCount is one value of a column and how often a split holds it.
type ValueCount struct {
	Value string  `json:"value"`
	Count int64   `json:"count"`
	Share float64 `json:"share"`
}

// top returns the n most frequent values (ties by value), their shares
// of total.
func (c *counter) top(n int, total int64, kind string) []ValueCount {
	type kv struct {
		k string
		n int64
	}
	all := make([]kv, 0, c.tab.n)
	for _, sl := range c.slots {
		if sl.count > 0 {
			all = append(all, kv{string(sl.value), sl.count})
		}
	}
	slices.SortFunc(all, func(a, b kv) int {
		if a.n != b.n {
			return cmp.Compare(b.n, a.n)
		}
		return strings.Compare(a.k, b.k)
	})
	all = all[:min(n, len(all))]
	out := make([]ValueCount, len(all))
	for i, x := range all {
		out[i] = ValueCount{Value: showValue(x.k, kind), Count: x.n}
		if total > 0 {
			out[i].Share = float64(x.n) / float64(total)
		}
	}
	return out
}

// showValue renders a counted key for people.
func showValue(k, kind string) string {
	switch kind {
	case KindBool:
		if k == "\x01" {
			return "true"
		}
		return "false"
	case KindString:
		if utf8.ValidString(k) {
			return k
		}
		return strconv.Quote(k)
	}
	return "0x" + hex.EncodeToString([]byte(k))
}
