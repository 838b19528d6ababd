package main

import "testing"

func TestCounted(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		noun string
		want string
	}{
		{0, "row", "0 rows"},
		{1, "row", "1 row"},
		{2, "input file", "2 input files"},
		{1, "input file", "1 input file"},
		{1, "record batch", "1 record batch"},
		{3, "record batch", "3 record batches"},
		{-1, "row", "-1 rows"},
	} {
		if got := counted(tc.n, tc.noun); got != tc.want {
			t.Errorf("counted(%d, %q) = %q, want %q", tc.n, tc.noun, got, tc.want)
		}
	}
}
