//go:build !linux

package pipeline

// adviseHugeHeap does nothing outside Linux: transparent huge pages are a
// Linux feature (see hugepages_linux.go).
func adviseHugeHeap(int64) {}
