package pipeline

import "testing"

func TestParseMapping(t *testing.T) {
	for _, tc := range []struct {
		line       string
		start, end uintptr
		ok         bool
	}{
		{"c000000000-c004000000 rw-p 00000000 00:00 0    [anon: Go: heap]", 0xc000000000, 0xc004000000, true},
		{"7f0000000000-7f0000001000 rw-p 00000000 00:00 0", 0x7f0000000000, 0x7f0000001000, true},
		{"00400000-00452000 r-xp 00000000 08:02 173521      /usr/bin/dbus-daemon", 0, 0, false}, // not writable
		{"7f0000000000-7f0000001000 rw-s 00000000 00:05 1 /dev/shm/x", 0, 0, false},             // shared
		{"7f0000001000-7f0000000000 rw-p 00000000 00:00 0", 0, 0, false},                        // empty
		{"zz-7f0000001000 rw-p 00000000 00:00 0", 0, 0, false},
		{"7f0000000000 rw-p", 0, 0, false},
		{"", 0, 0, false},
	} {
		start, end, ok := parseMapping([]byte(tc.line))
		if start != tc.start || end != tc.end || ok != tc.ok {
			t.Errorf("parseMapping(%q) = %#x, %#x, %v, want %#x, %#x, %v", tc.line, start, end, ok, tc.start, tc.end, tc.ok)
		}
	}
}

func TestMappingAround(t *testing.T) {
	maps := []byte("00400000-00452000 r-xp 00000000 08:02 1 /bin/x\n" +
		"c000000000-c000400000 rw-p 00000000 00:00 0 [anon: Go: heap]\n" +
		"c000400000-c010000000 rw-p 00000000 00:00 0 [anon: Go: heap]\n" +
		"7f0000000000-7f0000001000 rw-p 00000000 00:00 0\n")
	for _, tc := range []struct {
		name           string
		lo, hi         uintptr
		wantLo, wantHi uintptr
	}{
		{"two mappings widened", 0xc000200000, 0xc000600000, 0xc000000000, 0xc010000000},
		{"inside one", 0xc000500000, 0xc000600000, 0xc000400000, 0xc010000000},
		{"none", 0xd000000000, 0xd000100000, 0xd000000000, 0xd000100000},
		{"read-only mapping ignored", 0x00400000, 0x00401000, 0x00400000, 0x00401000},
	} {
		lo, hi := mappingAround(maps, tc.lo, tc.hi)
		if lo != tc.wantLo || hi != tc.wantHi {
			t.Errorf("%s: mappingAround = %#x-%#x, want %#x-%#x", tc.name, lo, hi, tc.wantLo, tc.wantHi)
		}
	}
}

func TestIsMadviseMode(t *testing.T) {
	for mode, want := range map[string]bool{
		"always [madvise] never\n": true,
		"[always] madvise never\n": false,
		"always madvise [never]\n": false,
		"":                         false,
	} {
		if got := isMadviseMode([]byte(mode)); got != want {
			t.Errorf("isMadviseMode(%q) = %v, want %v", mode, got, want)
		}
	}
}

// TestAdviseHugeHeap checks that the advice leaves the heap working: the
// memory it reserved is allocated and used again afterwards.
func TestAdviseHugeHeap(t *testing.T) {
	adviseHugeHeap(64 << 20)
	adviseHugeHeap(64 << 20) // once per process: does nothing
	b := make([]byte, 32<<20)
	for i := range b {
		b[i] = byte(i)
	}
	for i := 0; i < len(b); i += 4093 {
		if b[i] != byte(i) {
			t.Fatalf("byte %d = %d, want %d", i, b[i], byte(i))
		}
	}
}
