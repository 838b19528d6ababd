package prng

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

// Seed is a master seed as the user wrote it: a non-negative decimal integer
// of any size ("42", "007", "340282366920938463463374607431768211457"), or
// any other text, hashed. [Seed.Int] gives the integer that seeds
// numpy.random.PCG64: text made only of the ASCII digits 0-9 is that
// decimal integer, leading zeros allowed ("007" is 7); any other text,
// including signs, spaces and non-ASCII digits, is the SHA-256 digest of
// its UTF-8 bytes read as a big-endian integer, in Python
//
//	int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest(), "big")
//
// A Seed is its text, so it is compared with ==, printed as is and encoded
// in JSON as a string: configs embedding one stay readable and round-trip.
// Make one from text, an integer or a *big.Int with [SeedOf], or convert
// text directly (Seed("my-experiment")) and check it with [Seed.Validate].
//
// The zero value, "", is no seed: a job given it draws a fresh one and
// records it; [Seed.Int] refuses it.
type Seed string

// SeedValue lists what [SeedOf] and the generator constructors ([NewPCG64],
// [DefaultRNG]) take as a seed: a [Seed], its text, a non-negative integer
// or a non-negative *big.Int.
type SeedValue interface {
	Seed | string | int | int32 | int64 | uint | uint32 | uint64 | *big.Int
}

// ErrInvalidSeed classes the errors of a seed that is empty, not valid
// UTF-8 text, negative or a nil *big.Int. Test for it with errors.Is; the
// errors are of type *SeedError.
var ErrInvalidSeed = errors.New("invalid seed")

// SeedError is the error of an invalid seed. Its message says what is
// wrong ("empty seed"); it wraps [ErrInvalidSeed], and [ErrNilEntropy] or
// [ErrNegativeEntropy] for a nil or negative integer.
type SeedError struct {
	// Text is the seed's text, or its decimal digits for an integer.
	Text string
	// Reason is what is wrong with it, the whole error message.
	Reason string
	// Err is ErrNilEntropy or ErrNegativeEntropy for an integer, else nil.
	Err error
}

// Error returns e.Reason.
func (e *SeedError) Error() string { return e.Reason }

// Is reports whether target is [ErrInvalidSeed].
func (e *SeedError) Is(target error) bool { return target == ErrInvalidSeed }

// Unwrap returns e.Err.
func (e *SeedError) Unwrap() error { return e.Err }

// SeedOf returns v as a Seed: a Seed or text as is (after the checks of
// [Seed.Validate]); an integer or a *big.Int as its decimal digits. A
// negative integer or a nil *big.Int is a *SeedError (NumPy seeds only
// non-negative integers, and splitdata never draws a seed it was not asked
// to). Text and the integer it reads as give the same generator:
// SeedOf("7"), SeedOf(7) and SeedOf(big.NewInt(7)) are equal.
func SeedOf[T SeedValue](v T) (Seed, error) {
	var s Seed
	switch x := any(v).(type) {
	case Seed:
		s = x
	case string:
		s = Seed(x)
	case int:
		return intSeed(int64(x))
	case int32:
		return intSeed(int64(x))
	case int64:
		return intSeed(x)
	case uint:
		return Seed(strconv.FormatUint(uint64(x), 10)), nil
	case uint32:
		return Seed(strconv.FormatUint(uint64(x), 10)), nil
	case uint64:
		return Seed(strconv.FormatUint(x, 10)), nil
	case *big.Int:
		if x == nil {
			return "", &SeedError{Reason: "nil seed", Err: ErrNilEntropy}
		}
		if x.Sign() < 0 {
			return "", &SeedError{Text: x.String(), Reason: fmt.Sprintf("seed %s is negative: a seed is a non-negative integer", x), Err: ErrNegativeEntropy}
		}
		return Seed(x.String()), nil
	}
	if err := s.Validate(); err != nil {
		return "", err
	}
	return s, nil
}

// MustSeed is [SeedOf] for seeds written in code: it panics if v is not a
// valid seed.
func MustSeed[T SeedValue](v T) Seed {
	s, err := SeedOf(v)
	if err != nil {
		panic("prng: " + err.Error())
	}
	return s
}

func intSeed(v int64) (Seed, error) {
	if v < 0 {
		return "", &SeedError{Text: strconv.FormatInt(v, 10), Reason: fmt.Sprintf("seed %d is negative: a seed is a non-negative integer", v), Err: ErrNegativeEntropy}
	}
	return Seed(strconv.FormatInt(v, 10)), nil
}

// Validate reports whether s is a seed: not empty and valid UTF-8. The
// error is a *SeedError.
func (s Seed) Validate() error {
	switch {
	case s == "":
		return &SeedError{Reason: "empty seed"}
	case s.IsDecimal():
		return nil
	case !utf8.ValidString(string(s)):
		return &SeedError{Text: string(s), Reason: fmt.Sprintf("seed %q is not valid UTF-8 text", string(s))}
	}
	return nil
}

// IsDecimal reports whether s is a decimal integer, made only of the ASCII
// digits 0-9, rather than text to hash.
func (s Seed) IsDecimal() bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Int returns the integer s stands for, by the rule of [Seed]: a new value
// owned by the caller. It returns a *SeedError if s is not valid (see
// [Seed.Validate]).
func (s Seed) Int() (*big.Int, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if s.IsDecimal() {
		v, ok := new(big.Int).SetString(string(s), 10)
		if !ok { // unreachable for digits, kept so that a change cannot return nil
			return nil, &SeedError{Text: string(s), Reason: fmt.Sprintf("seed %q is not a decimal integer", string(s))}
		}
		return v, nil
	}
	sum := sha256.Sum256([]byte(s))
	return new(big.Int).SetBytes(sum[:]), nil
}

// Note returns the note to show a user whose seed text is not a plain
// decimal integer, "" when it is one (or is not a valid seed). Text that
// looks like a number ("0x2A", "-1", " 42", "1e6") is probably a typo for
// one, so its note names the decimal seed to write instead, when there is
// one. The note speaks of --seed: every command that takes one shows it.
func (s Seed) Note() string {
	v, err := s.Int()
	if err != nil || s.IsDecimal() {
		return ""
	}
	n, ok := numberLike(string(s))
	if !ok {
		return fmt.Sprintf("--seed %q is text: using its SHA-256, seed %s", string(s), v)
	}
	fix := "a seed number is a non-negative integer"
	if n != nil {
		fix = "for the number write --seed " + n.String()
	}
	return fmt.Sprintf("--seed %q looks like a number but is not a plain decimal integer: it is hashed as text (SHA-256), seed %s; %s", string(s), v, fix)
}

// bigSeed returns the integer of a seed value for the generator
// constructors: a *big.Int as is (nil and negative values are refused by
// NewSeedSequence), anything else through [SeedOf] and [Seed.Int].
func bigSeed[T SeedValue](v T) (*big.Int, error) {
	if b, ok := any(v).(*big.Int); ok {
		return b, nil
	}
	s, err := SeedOf(v)
	if err != nil {
		return nil, err
	}
	return s.Int()
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
