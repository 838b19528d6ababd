package splitter_test

import (
	"bytes"
	"errors"
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
