package prng

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"math/bits"
)

// ErrInvalidState is wrapped by every error about a generator state that
// cannot be restored: malformed JSON or bytes, a state for another bit
// generator, a field of the wrong type or range, or an even increment.
var ErrInvalidState = errors.New("invalid generator state")

// pcg64Name is the bit_generator value of NumPy's PCG64 state dict.
const pcg64Name = "PCG64"

// Uint128 is an unsigned 128-bit integer Hi<<64 | Lo. In JSON it is a plain
// decimal number, as Python's json module writes an int, so NumPy's 128-bit
// PCG64 state fields round-trip exactly.
type Uint128 struct {
	Hi, Lo uint64
}

// Big returns u as a new big.Int.
func (u Uint128) Big() *big.Int {
	n := new(big.Int).SetUint64(u.Hi)
	n.Lsh(n, 64)
	return n.Or(n, new(big.Int).SetUint64(u.Lo))
}

// String returns u in decimal.
func (u Uint128) String() string { return u.Big().String() }

// MarshalJSON writes u as a JSON decimal number.
func (u Uint128) MarshalJSON() ([]byte, error) { return []byte(u.String()), nil }

// UnmarshalJSON reads a JSON number that is an integer in [0, 2^128): digits
// only, no sign, fraction, exponent or quotes. Anything else is an error
// wrapping [ErrInvalidState].
func (u *Uint128) UnmarshalJSON(b []byte) error {
	v, err := parseUint128(b)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidState, err)
	}
	*u = v
	return nil
}

// parseUint128 parses the JSON number text of [Uint128.UnmarshalJSON].
func parseUint128(b []byte) (Uint128, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return Uint128{}, errors.New("empty 128-bit integer")
	}
	if len(b) > 1 && b[0] == '0' {
		return Uint128{}, fmt.Errorf("128-bit integer %.40q has a leading zero", b)
	}
	var v Uint128
	for _, c := range b {
		if c < '0' || c > '9' {
			return Uint128{}, fmt.Errorf("%.40q is not a non-negative integer", b)
		}
		// v = v*10 + digit, failing on overflow past 2^128.
		hiHi, hiLo := bits.Mul64(v.Hi, 10)
		loHi, lo := bits.Mul64(v.Lo, 10)
		hi, carry := bits.Add64(hiLo, loHi, 0)
		if hiHi != 0 || carry != 0 {
			return Uint128{}, fmt.Errorf("%.40q does not fit in 128 bits", b)
		}
		lo, carry = bits.Add64(lo, uint64(c-'0'), 0)
		hi, carry = bits.Add64(hi, 0, carry)
		if carry != 0 {
			return Uint128{}, fmt.Errorf("%.40q does not fit in 128 bits", b)
		}
		v = Uint128{hi, lo}
	}
	return v, nil
}

// PCG64State is NumPy's PCG64 bit_generator.state dict. Its JSON form is the
// dict as Python's json.dumps writes it, for example
//
//	{"bit_generator":"PCG64","state":{"state":1,"inc":3},"has_uint32":0,"uinteger":0}
//
// so json.loads of a state exported from Go can be assigned to
// bit_generator.state in NumPy, and json.dumps(bit_generator.state) can be
// restored in Go with [PCG64.SetState] or json.Unmarshal into a [PCG64].
type PCG64State struct {
	BitGenerator string      `json:"bit_generator"` // "PCG64"
	State        PCG64Fields `json:"state"`
	HasUint32    int         `json:"has_uint32"` // 1 if Uinteger is buffered, else 0
	Uinteger     uint32      `json:"uinteger"`   // buffered high half of the last 64-bit draw
}

// PCG64Fields is the inner "state" dict of [PCG64State]: the 128-bit LCG
// state and its odd increment.
type PCG64Fields struct {
	State Uint128 `json:"state"`
	Inc   Uint128 `json:"inc"`
}

// UnmarshalJSON decodes NumPy's state dict strictly: every field must be
// present under its exact (case-sensitive) key, non-null and of NumPy's type
// (integers for the numbers, a string for bit_generator). Unknown keys are
// ignored, as NumPy does. It checks types only; [PCG64.SetState] checks the
// values. Errors wrap [ErrInvalidState].
func (s *PCG64State) UnmarshalJSON(b []byte) error {
	top, err := jsonObject(b, "state dict")
	if err != nil {
		return err
	}
	var st PCG64State
	if err := jsonField(top, "", "bit_generator", &st.BitGenerator); err != nil {
		return err
	}
	var rawInner json.RawMessage
	if err := jsonField(top, "", "state", &rawInner); err != nil {
		return err
	}
	inner, err := jsonObject(rawInner, `"state"`)
	if err != nil {
		return err
	}
	if err := jsonField(inner, "state.", "state", &st.State.State); err != nil {
		return err
	}
	if err := jsonField(inner, "state.", "inc", &st.State.Inc); err != nil {
		return err
	}
	if err := jsonField(top, "", "has_uint32", &st.HasUint32); err != nil {
		return err
	}
	if err := jsonField(top, "", "uinteger", &st.Uinteger); err != nil {
		return err
	}
	*s = st
	return nil
}

// jsonObject decodes a JSON object into its members, keyed exactly as
// written; what names the object in errors.
func jsonObject(b []byte, what string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: %s is not a JSON object: %w", ErrInvalidState, what, err)
	}
	if m == nil {
		return nil, fmt.Errorf("%w: %s is null", ErrInvalidState, what)
	}
	return m, nil
}

// jsonField decodes member key of m into dst; prefix qualifies the key in
// errors. A missing or null member is an error.
func jsonField(m map[string]json.RawMessage, prefix, key string, dst any) error {
	raw, ok := m[key]
	if !ok {
		return fmt.Errorf("%w: missing %q", ErrInvalidState, prefix+key)
	}
	if string(bytes.TrimSpace(raw)) == "null" {
		return fmt.Errorf("%w: %q is null", ErrInvalidState, prefix+key)
	}
	var err error
	if u, ok := dst.(*Uint128); ok {
		*u, err = parseUint128(raw) // its errors do not repeat ErrInvalidState
	} else {
		err = json.Unmarshal(raw, dst)
	}
	if err != nil {
		return fmt.Errorf("%w: %q: %w", ErrInvalidState, prefix+key, err)
	}
	return nil
}

// State returns the generator's state as NumPy's bit_generator.state dict.
func (p *PCG64) State() PCG64State {
	s := PCG64State{
		BitGenerator: pcg64Name,
		State: PCG64Fields{
			State: Uint128{p.hi, p.lo},
			Inc:   Uint128{p.incHi, p.incLo},
		},
		Uinteger: p.uinteger,
	}
	if p.hasUint32 {
		s.HasUint32 = 1
	}
	return s
}

// SetState restores a state, as assigning bit_generator.state does in NumPy.
// It returns an error wrapping [ErrInvalidState], and leaves p unchanged, if
// BitGenerator is not "PCG64", HasUint32 is not 0 or 1, or the increment is
// even (NumPy's seeding always makes it odd; an even one would give a
// generator with a short period).
func (p *PCG64) SetState(s PCG64State) error {
	if err := p.setState(s); err != nil {
		return fmt.Errorf("prng: set pcg64 state: %w", err)
	}
	return nil
}

// setState is SetState without the error prefix.
func (p *PCG64) setState(s PCG64State) error {
	if s.BitGenerator != pcg64Name {
		return fmt.Errorf("%w: bit_generator is %.40q, want %q", ErrInvalidState, s.BitGenerator, pcg64Name)
	}
	if s.HasUint32 != 0 && s.HasUint32 != 1 {
		return fmt.Errorf("%w: has_uint32 is %d, want 0 or 1", ErrInvalidState, s.HasUint32)
	}
	if s.State.Inc.Lo&1 == 0 {
		return fmt.Errorf("%w: increment %s is even", ErrInvalidState, s.State.Inc)
	}
	*p = PCG64{
		hi: s.State.State.Hi, lo: s.State.State.Lo,
		incHi: s.State.Inc.Hi, incLo: s.State.Inc.Lo,
		hasUint32: s.HasUint32 == 1,
		uinteger:  s.Uinteger,
	}
	return nil
}

// MarshalJSON encodes the state as NumPy's bit_generator.state dict; see
// [PCG64State].
func (p *PCG64) MarshalJSON() ([]byte, error) { return json.Marshal(p.State()) }

// UnmarshalJSON restores a state from NumPy's bit_generator.state dict as
// JSON. Errors wrap [ErrInvalidState]; on error p is unchanged.
func (p *PCG64) UnmarshalJSON(b []byte) error {
	// Call the decoder directly rather than through json.Unmarshal, which
	// would report bad syntax without wrapping ErrInvalidState.
	var s PCG64State
	if err := s.UnmarshalJSON(b); err != nil {
		return fmt.Errorf("prng: decode pcg64 state: %w", err)
	}
	if err := p.setState(s); err != nil {
		return fmt.Errorf("prng: decode pcg64 state: %w", err)
	}
	return nil
}

// pcg64Tag starts the binary form of a PCG64 state.
const pcg64Tag = "numpy-pcg64:"

// pcg64BinaryLen is the length of the binary form: tag, state and increment
// (big-endian, high word first), has_uint32 (one byte), uinteger (big-endian).
const pcg64BinaryLen = len(pcg64Tag) + 4*8 + 1 + 4

// AppendBinary appends the binary form of the state to b: the tag
// "numpy-pcg64:", the 128-bit state and increment big-endian, one byte
// has_uint32 and four bytes uinteger, big-endian. It implements
// encoding.BinaryAppender.
func (p *PCG64) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, pcg64Tag...)
	b = binary.BigEndian.AppendUint64(b, p.hi)
	b = binary.BigEndian.AppendUint64(b, p.lo)
	b = binary.BigEndian.AppendUint64(b, p.incHi)
	b = binary.BigEndian.AppendUint64(b, p.incLo)
	var has byte
	if p.hasUint32 {
		has = 1
	}
	b = append(b, has)
	return binary.BigEndian.AppendUint32(b, p.uinteger), nil
}

// MarshalBinary returns the binary form described at [PCG64.AppendBinary].
// It implements encoding.BinaryMarshaler.
func (p *PCG64) MarshalBinary() ([]byte, error) {
	return p.AppendBinary(make([]byte, 0, pcg64BinaryLen))
}

// UnmarshalBinary restores a state written by [PCG64.MarshalBinary]. It
// implements encoding.BinaryUnmarshaler. A wrong tag or length, a has_uint32
// byte other than 0 or 1, or an even increment give an error wrapping
// [ErrInvalidState]; on error p is unchanged.
func (p *PCG64) UnmarshalBinary(b []byte) error {
	if len(b) != pcg64BinaryLen || string(b[:len(pcg64Tag)]) != pcg64Tag {
		return fmt.Errorf("prng: decode pcg64 binary state: %w: want %d bytes starting %q, got %d bytes",
			ErrInvalidState, pcg64BinaryLen, pcg64Tag, len(b))
	}
	b = b[len(pcg64Tag):]
	s := PCG64State{
		BitGenerator: pcg64Name,
		State: PCG64Fields{
			State: Uint128{binary.BigEndian.Uint64(b[0:]), binary.BigEndian.Uint64(b[8:])},
			Inc:   Uint128{binary.BigEndian.Uint64(b[16:]), binary.BigEndian.Uint64(b[24:])},
		},
		HasUint32: int(b[32]),
		Uinteger:  binary.BigEndian.Uint32(b[33:]),
	}
	if err := p.setState(s); err != nil {
		return fmt.Errorf("prng: decode pcg64 binary state: %w", err)
	}
	return nil
}
