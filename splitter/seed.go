package splitter

import (
	"crypto/sha256"
	"fmt"
	"math/big"
	"unicode/utf8"
)

// ParseSeed turns the text of --seed into the master seed, the non-negative
// integer given to numpy.random.PCG64. Text made only of the ASCII digits 0-9
// is that decimal integer, of any size, leading zeros allowed ("007" is 7).
// Any other text, including signs, spaces and non-ASCII digits, is hashed:
// the seed is the SHA-256 digest of its UTF-8 bytes read as a big-endian
// integer, in Python
//
//	int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest(), "big")
//
// Empty text and text that is not valid UTF-8 are errors wrapping
// [ErrUsage]. The result is a new value owned by the caller.
func ParseSeed(s string) (*big.Int, error) {
	if s == "" {
		return nil, fmt.Errorf("%w: empty seed", ErrUsage)
	}
	if isDigits(s) {
		v, ok := new(big.Int).SetString(s, 10)
		if !ok { // unreachable for digits, kept so that a change cannot return nil
			return nil, fmt.Errorf("%w: seed %q is not a decimal integer", ErrUsage, s)
		}
		return v, nil
	}
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("%w: seed %q is not valid UTF-8 text", ErrUsage, s)
	}
	sum := sha256.Sum256([]byte(s))
	return new(big.Int).SetBytes(sum[:]), nil
}
