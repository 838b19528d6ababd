package report

import (
	"math/bits"

	"github.com/axiomhq/hyperloglog"
)

// The distinct values of a counter once its counts stop being exact: the
// values' hashes kept apart (see counter), first in pend, then in a
// HyperLogLog++ sketch of precision 14. A sketch that starts dense, as
// the units of a column of many distinct values do (flush), is kept as
// registers of the counter's own (dense): a register is the largest rank
// (leading zeros, plus one) of the hashes of its index, which denseInsert
// updates inline, where a call into the hyperloglog package per value
// cost about as much as the counting. Registers depend only on the set
// of hashes, so they are those the package's dense sketch would hold;
// they are handed to it (denseSketch) only to be estimated, or merged
// with a sketch of its own.

// hllPrecision is the precision of the counters' sketches (New14,
// NewNoSparse): 2^14 registers.
const (
	hllPrecision = 14
	hllRegisters = 1 << hllPrecision
)

// spilled reports whether the counts may no longer hold every value:
// then the values' hashes go to pend, dense or hll.
func (c *counter) spilled() bool { return c.hll != nil || c.dense != nil || c.pend != nil }

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
	case c.dense != nil:
		denseInsert(c.dense, h)
	case c.hll != nil:
		c.hll.InsertHash(h)
	case c.pend != nil:
		if c.pend = append(c.pend, h); len(c.pend) >= pendCap {
			c.flush()
		}
	}
}

// flush makes the sketch of the pending hashes: dense registers if they
// have more than sparseLimit distinct 25-bit prefixes (see counter), else
// a sparse HyperLogLog++ sketch.
func (c *counter) flush() {
	if manyPrefixes(c.pend) {
		c.dense = c.newDense()
		for _, h := range c.pend {
			denseInsert(c.dense, h)
		}
	} else {
		c.hll = hyperloglog.New14()
		for _, h := range c.pend {
			c.hll.InsertHash(h)
		}
	}
	c.pendBuf, c.pend = c.pend[:0], nil
}

// newDense returns empty registers, in the counter's kept memory.
func (c *counter) newDense() []uint8 {
	if cap(c.denseBuf) < hllRegisters {
		c.denseBuf = make([]uint8, hllRegisters)
	}
	d := c.denseBuf[:hllRegisters]
	clear(d)
	return d
}

// denseInsert adds hash h to the registers d, as the InsertHash of a
// dense sketch of precision 14 does: the register of h's top 14 bits
// keeps the largest rank of the rest (its leading zeros plus one, a
// sentinel bit bounding it at 51).
func denseInsert(d []uint8, h uint64) {
	d = d[:hllRegisters]
	i := h >> (64 - hllPrecision)
	r := uint8(bits.LeadingZeros64(h<<hllPrecision|1<<(hllPrecision-1))) + 1
	d[i&(hllRegisters-1)] = max(d[i&(hllRegisters-1)], r)
}

// rankHash returns a hash whose register is i and whose rank is r (1 to
// 51), as denseInsert reads them.
func rankHash(i int, r uint8) uint64 {
	h := uint64(i) << (64 - hllPrecision)
	if r <= 64-hllPrecision {
		h |= 1 << (64 - hllPrecision - r)
	}
	return h
}

// denseSketch returns the hyperloglog package's dense sketch holding the
// registers d: for each register set, a hash of its index and rank is
// inserted, which sets it to that rank and no other register.
func denseSketch(d []uint8) *hyperloglog.Sketch {
	x := hyperloglog.NewNoSparse()
	for i, r := range d {
		if r > 0 {
			x.InsertHash(rankHash(i, r))
		}
	}
	return x
}

// mergeDense adds the values' hashes whose registers are d to c, whose
// counts are spilled (spill): the merge of a dense sketch into any
// other, as the hyperloglog package merges them, ends dense.
func (c *counter) mergeDense(d []uint8) {
	switch {
	case c.dense != nil:
		for i, r := range d[:hllRegisters] {
			c.dense[i] = max(c.dense[i], r)
		}
	case c.hll != nil:
		_ = c.hll.Merge(denseSketch(d)) // same precision by construction
	default:
		c.dense = c.newDense()
		copy(c.dense, d)
		for _, h := range c.pend {
			denseInsert(c.dense, h)
		}
		c.pendBuf, c.pend = c.pend[:0], nil
	}
}

// distinctSketch returns the HyperLogLog of every value seen, once the
// values' hashes are kept apart. Registers of the counter's own become a
// sketch of the package's, which the counter then keeps.
func (c *counter) distinctSketch() *hyperloglog.Sketch {
	c.spill()
	if c.hll == nil && c.dense == nil {
		c.flush()
	}
	if c.dense != nil {
		c.hll, c.dense = denseSketch(c.dense), nil
	}
	return c.hll
}
