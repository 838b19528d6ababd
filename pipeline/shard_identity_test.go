package pipeline

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPlanInputHashesEnds pins the identity rule of docs/scale-out.md: a
// file up to 2 MiB is hashed whole, a larger one by its first and last
// MiB, so a change there is seen and one in the middle is not (the
// modification time is what catches that).
func TestPlanInputHashesEnds(t *testing.T) {
	const size = 3 * IdentityBytes
	cases := []struct {
		name   string
		size   int64
		at     int64 // the byte changed
		differ bool
	}{
		{"small file, last byte", 2 * IdentityBytes, 2*IdentityBytes - 1, true},
		{"small file, middle", 2 * IdentityBytes, IdentityBytes, true},
		{"large file, first MiB", size, IdentityBytes - 1, true},
		{"large file, last MiB", size, size - IdentityBytes, true},
		{"large file, middle", size, size - IdentityBytes - 1, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "in.bin")
			data := make([]byte, tc.size)
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			before, err := planInput(InputInfo{Path: path, Size: tc.size})
			if err != nil {
				t.Fatal(err)
			}
			data[tc.at] = 1
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			after, err := planInput(InputInfo{Path: path, Size: tc.size})
			if err != nil {
				t.Fatal(err)
			}
			if differ := before.EndsSHA256 != after.EndsSHA256; differ != tc.differ {
				t.Errorf("byte %d of %d changed: hashes differ = %v, want %v", tc.at, tc.size, differ, tc.differ)
			}
		})
	}
}
