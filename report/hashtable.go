package report

// hashTable maps the 64-bit hashes of a counter's values to their slots:
// open addressing with linear probing, at most a quarter full (a full
// counter's 1,024 values in 4,096 entries, 48 KiB: a value seen for the
// first time, most of a column of distinct strings, ends its probe at
// the second entry or so rather than the third, and the counting of such
// a column took a sixth less time than at half full). A value
// counter looks every value up here, which a Go map made a fifth of
// the cost of counting a column of distinct strings. The hashes are
// metro hashes, so their low bits index the table as they are.
//
// The zero value is an empty table. There is no deletion: the counter
// rebuilds the table after dropping values ([counter.reindex]).
type hashTable struct {
	keys []uint64
	vals []int32 // slot + 1; 0: empty
	n    int
}

// get returns the slot of hash h.
func (t *hashTable) get(h uint64) (int32, bool) {
	if len(t.keys) == 0 {
		return 0, false
	}
	mask := uint64(len(t.keys) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		v := t.vals[i]
		if v == 0 {
			return 0, false
		}
		if t.keys[i] == h {
			return v - 1, true
		}
	}
}

// find returns the slot of hash h, or, if h is not in the table, the
// place where it would be set (-1 in an empty table): a value seen for
// the first time is looked up and set (counter.insertAt) with one probe.
func (t *hashTable) find(h uint64) (at int, slot int32, ok bool) {
	if len(t.keys) == 0 {
		return -1, 0, false
	}
	mask := uint64(len(t.keys) - 1)
	i := h & mask
	for t.vals[i] != 0 && t.keys[i] != h {
		i = (i + 1) & mask
	}
	return int(i), t.vals[i] - 1, t.vals[i] != 0
}

// put sets the slot of hash h, which is not in the table.
func (t *hashTable) put(h uint64, slot int32) {
	if 4*(t.n+1) > len(t.keys) {
		t.grow()
	}
	mask := uint64(len(t.keys) - 1)
	i := h & mask
	for t.vals[i] != 0 {
		i = (i + 1) & mask
	}
	t.keys[i], t.vals[i] = h, slot+1
	t.n++
}

// grow doubles the table (to 64 entries at first) and puts its entries
// back.
func (t *hashTable) grow() {
	keys, vals := t.keys, t.vals
	size := max(64, 2*len(keys))
	t.keys, t.vals, t.n = make([]uint64, size), make([]int32, size), 0
	for i, v := range vals {
		if v != 0 {
			t.put(keys[i], v-1)
		}
	}
}

// reset empties the table, keeping its size.
func (t *hashTable) reset() {
	clear(t.vals)
	t.n = 0
}
