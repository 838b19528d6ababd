package splitter_test

import (
	"bytes"
	"errors"
	"math"
	"math/big"
	"testing"

	"github.com/splitdata/splitdata/splitter"
)

func TestAppendGroupValue(t *testing.T) {
	// Keys from docs/algorithm.md's Python group_key with seed 42.
	tests := []struct {
		name  string
		value any
		bytes string
		key   uint64
	}{
		{"null", nil, "\x00", 15114590306280900770},
		{"true", true, "\x01true", 10643578709767826332},
		{"false", false, "\x01false", 6678639990688573524},
		{"int32", int32(-7), "\x01-7", 16723715460963993333},
		{"int64", int64(1234567890123), "\x011234567890123", 12122361563828971631},
		{"string", "café", "\x01caf\xc3\xa9", 16624624850246129504},
		{"bytes", []byte{0, 0xff}, "\x01\x00\xff", 1380401998454114924},
	}
	h := splitter.NewGroupHasher(big.NewInt(42))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := splitter.AppendGroupValue([]byte("prefix"), tt.value)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, []byte("prefix"+tt.bytes)) {
				t.Fatalf("bytes %q, want %q", b, "prefix"+tt.bytes)
			}
			if got := h.Key(b[len("prefix"):]); got != tt.key {
				t.Fatalf("key %d, want %d", got, tt.key)
			}
		})
	}
	for _, v := range []any{1.5, int(3), uint64(3), []string{"a"}} {
		if _, err := splitter.AppendGroupValue(nil, v); !errors.Is(err, splitter.ErrUsage) {
			t.Errorf("AppendGroupValue(%T): error %v, want ErrUsage", v, err)
		}
	}
}

func TestAppendGroupValues(t *testing.T) {
	// Bytes and keys from testdata/groupsv1.py's group_bytes and group_key
	// with seed 42 (docs/algorithm.md section 19).
	tests := []struct {
		name   string
		values []any
		bytes  string
		key    uint64
	}{
		{"one int keeps 7b", []any{int64(7)}, "\x017", 8994695141163834742},
		{"one string keeps 7b", []any{"café"}, "\x01caf\xc3\xa9", 16624624850246129504},
		{"one null", []any{nil}, "\x00", 15114590306280900770},
		{"pair", []any{int32(42), "visit-1"}, "\x00\x00\x00\x03\x0142\x00\x00\x00\x08\x01visit-1", 3900338842974422517},
		{"pair of nulls", []any{nil, nil}, "\x00\x00\x00\x01\x00\x00\x00\x00\x01\x00", 992708152998243204},
		{"a|bc", []any{"a", "bc"}, "\x00\x00\x00\x02\x01a\x00\x00\x00\x03\x01bc", 6401450665674904083},
		{"ab|c", []any{"ab", "c"}, "\x00\x00\x00\x03\x01ab\x00\x00\x00\x02\x01c", 10250624847427340180},
		{"float", []any{1.5}, "\x01\x3f\xf8\x00\x00\x00\x00\x00\x00", 10404743587524886376},
		{"float32 widened", []any{float32(1.5)}, "\x01\x3f\xf8\x00\x00\x00\x00\x00\x00", 10404743587524886376},
		{"-0.0 is 0.0", []any{math.Copysign(0, -1)}, "\x01\x00\x00\x00\x00\x00\x00\x00\x00", 17591059689065809614},
		{"0.0", []any{0.0}, "\x01\x00\x00\x00\x00\x00\x00\x00\x00", 17591059689065809614},
		{"NaN", []any{math.NaN()}, "\x01\x7f\xf8\x00\x00\x00\x00\x00\x00", 10495639052216260149},
		{"negative NaN", []any{math.Float64frombits(0xfff8000000000001)}, "\x01\x7f\xf8\x00\x00\x00\x00\x00\x00", 10495639052216260149},
		{"mixed", []any{true, int64(-3), 2.25, []byte{0, 0xff}, nil},
			"\x00\x00\x00\x05\x01true\x00\x00\x00\x03\x01-3\x00\x00\x00\x09\x01\x40\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x01\x00\xff\x00\x00\x00\x01\x00",
			10928898636605258227},
	}
	h := splitter.NewGroupHasher(big.NewInt(42))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := splitter.AppendGroupValues([]byte("prefix"), tt.values...)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, []byte("prefix"+tt.bytes)) {
				t.Fatalf("bytes %q, want %q", b, "prefix"+tt.bytes)
			}
			if got := h.Key(b[len("prefix"):]); got != tt.key {
				t.Fatalf("key %d, want %d", got, tt.key)
			}
		})
	}
	for _, vs := range [][]any{nil, {int(3)}, {"a", uint64(3)}} {
		b, err := splitter.AppendGroupValues([]byte("p"), vs...)
		if !errors.Is(err, splitter.ErrUsage) {
			t.Errorf("AppendGroupValues(%v): error %v, want ErrUsage", vs, err)
		}
		if string(b) != "p" {
			t.Errorf("AppendGroupValues(%v) after an error: %q, want the input bytes", vs, b)
		}
	}
}
