package splitter

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
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

// SeedNote returns the note to show a user whose --seed text is not a plain
// decimal integer, "" when it is one (or is not a valid seed). Text that
// looks like a number ("0x2A", "-1", " 42", "1e6") is probably a typo for
// one, so its note names the decimal seed to write instead, when there is
// one. Every command that takes --seed shows this same note.
func SeedNote(s string) string {
	v, err := ParseSeed(s)
	if err != nil || isDigits(s) {
		return ""
	}
	n, ok := numberLike(s)
	if !ok {
		return fmt.Sprintf("--seed %q is text: using its SHA-256, seed %s", s, v)
	}
	fix := "a seed number is a non-negative integer"
	if n != nil {
		fix = "for the number write --seed " + n.String()
	}
	return fmt.Sprintf("--seed %q looks like a number but is not a plain decimal integer: it is hashed as text (SHA-256), seed %s; %s", s, v, fix)
}

// numberLike reports whether s, without its surrounding spaces, reads as a
// number in Go or Python syntax (a sign, a 0x/0o/0b prefix, underscores, a
// decimal point or an exponent), and returns its value when that is a
// non-negative integer.
func numberLike(s string) (*big.Int, bool) {
	t := strings.TrimSpace(s)
	if !strings.ContainsAny(t, "0123456789") { // not "inf" or "nan"
		return nil, false
	}
	if v, ok := new(big.Int).SetString(t, 0); ok {
		if v.Sign() < 0 {
			return nil, true
		}
		return v, true
	}
	if f, err := strconv.ParseFloat(t, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		if !math.IsInf(f, 0) && !math.IsNaN(f) && f >= 0 && f == math.Trunc(f) {
			v, _ := new(big.Float).SetFloat64(f).Int(nil)
			return v, true
		}
		return nil, true
	}
	return nil, false
}
