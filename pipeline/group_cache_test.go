package pipeline

import (
	"math/big"
	"strconv"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/splitter"
)

// keyCache gives every row the key the hasher gives its bytes, whether the
// values repeat, never do (the cache is dropped once full) or are too long
// to keep; it keeps what repeats.
func TestKeyCache(t *testing.T) {
	const rows = 3 * groupCacheEntries
	long := strings.Repeat("x", groupCacheBytes)
	cases := []struct {
		name    string
		value   func(k int) string
		dropped bool
	}{
		{"few values", func(k int) string { return strconv.Itoa(k % 300) }, false},
		{"unique ids", func(k int) string { return strconv.Itoa(k) }, true},
		{"long values", func(k int) string { return long + strconv.Itoa(k%10) }, false},
		{"repeats after a full cache", func(k int) string { return strconv.Itoa(k % (groupCacheEntries + 1)) }, true},
		{"pairs of rows", func(k int) string { return strconv.Itoa(k / 2) }, false},
	}
	seed := big.NewInt(41)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := splitter.NewGroupHasher(seed)
			c := newKeyCache(splitter.NewGroupHasher(seed))
			for k := range rows {
				b := append([]byte{1}, tc.value(k)...)
				if got, w := c.key(k, b), want.Key(b); got != w {
					t.Fatalf("row %d (%q): key %x, want %x", k, b, got, w)
				}
			}
			if dropped := c.seen == nil; dropped != tc.dropped {
				t.Errorf("cache dropped: %v, want %v", dropped, tc.dropped)
			}
			if tc.name == "long values" && len(c.seen) != 0 {
				t.Errorf("cache holds %d values longer than %d bytes", len(c.seen), groupCacheBytes)
			}
			if len(c.seen) > groupCacheEntries {
				t.Errorf("cache holds %d values, at most %d", len(c.seen), groupCacheEntries)
			}
		})
	}
}

// BenchmarkKeyCache gives the keys of rows of a few values (cached) and of
// unique ids (the cache dropped), beside the hasher alone.
func BenchmarkKeyCache(b *testing.B) {
	seed := big.NewInt(41)
	values := map[string]func(k int) int{
		"few":    func(k int) int { return k % 300 },
		"unique": func(k int) int { return k },
	}
	for name, value := range values {
		for _, cached := range []bool{false, true} {
			b.Run(name+"/cache="+strconv.FormatBool(cached), func(b *testing.B) {
				b.ReportAllocs()
				h := splitter.NewGroupHasher(seed)
				c := newKeyCache(h)
				buf := make([]byte, 0, 32)
				k := 0
				for b.Loop() {
					if k == 100_000 { // a unit's rows
						c, k = newKeyCache(h), 0
					}
					buf = strconv.AppendInt(append(buf[:0], 1), int64(value(k)), 10)
					if cached {
						c.key(k, buf)
					} else {
						h.Key(buf)
					}
					k++
				}
			})
		}
	}
}
