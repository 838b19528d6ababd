package splitter

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"math/big"
)

// GroupHasher computes group keys for grouped splits (algorithm version 1,
// docs/algorithm.md): the key of a group is the first 8 bytes, read as a
// big-endian integer, of HMAC-SHA256 keyed with the master seed's decimal
// digits over the group value's canonical bytes. It depends on the seed and
// the value only, so a group's split never moves when rows or files are
// added. In Python:
//
//	int.from_bytes(hmac.new(str(seed).encode(), canonical, "sha256").digest()[:8], "big")
//
// A GroupHasher is not safe for concurrent use; make one per goroutine.
type GroupHasher struct {
	mac hash.Hash
	sum []byte
}

// NewGroupHasher returns a GroupHasher for the master seed.
func NewGroupHasher(seed *big.Int) *GroupHasher {
	return &GroupHasher{mac: hmac.New(sha256.New, []byte(seed.String())), sum: make([]byte, 0, sha256.Size)}
}

// Key returns the key of the group whose value has the canonical bytes b.
func (g *GroupHasher) Key(b []byte) uint64 {
	g.mac.Reset()
	g.mac.Write(b)
	g.sum = g.mac.Sum(g.sum[:0])
	return binary.BigEndian.Uint64(g.sum)
}
