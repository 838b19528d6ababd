package pipeline

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unsafe"
)

// Transparent huge pages for the heap. The Go runtime leaves its heap to
// the kernel's default page size unless the system backs every mapping
// with huge pages (transparent_hugepage "always"); under "madvise", the
// usual setting, each 4 KiB page of the heap costs a page fault the first
// time it is touched and again after the scavenger returns it. A split of
// benchmarks/peers.sh's mixed shape took about 75k faults, one per 4 KiB
// of its peak. adviseHugeHeap marks the heap's address range for huge
// pages (madvise MADV_HUGEPAGE), so that the kernel backs it 2 MiB at a
// time: the same split takes about 20k faults.
//
// The advice is a hint that changes no byte the process reads or writes:
// the kernel may ignore it, and the runtime still returns freed memory
// (the kernel then splits the huge page). It applies to addresses the
// runtime has mapped for its heap, so the heap is first grown to the
// budget by one allocation that is never touched (fresh heap memory needs
// no zeroing, so it takes address space, not memory) and dropped at once.

// thpModeFile is where Linux tells when transparent huge pages are used.
const thpModeFile = "/sys/kernel/mm/transparent_hugepage/enabled"

// madvHugepage is MADV_HUGEPAGE (Linux 2.6.38), which package syscall
// does not name on every architecture.
const madvHugepage = 14

// hugeOnce makes adviseHugeHeap act once per process: it must run while
// the heap is nearly empty (see adviseHugeHeap).
var hugeOnce sync.Once

// adviseHugeHeap asks the kernel to back the first bytes bytes of the Go
// heap with transparent huge pages, when the system gives them only to
// mappings that ask (mode "madvise") and GODEBUG has no disablethp=1. It acts once per process, the first
// time it is called: later, the heap's free memory would be reused (and
// zeroed) by the allocation that grows it. Failures are ignored: without
// the advice the process works as before.
func adviseHugeHeap(bytes int64) {
	if bytes <= 0 {
		return
	}
	hugeOnce.Do(func() {
		if strings.Contains(os.Getenv("GODEBUG"), "disablethp=1") {
			return // the runtime's own knob against huge pages
		}
		mode, err := os.ReadFile(thpModeFile)
		if err != nil || !isMadviseMode(mode) {
			return
		}
		grown := make([]byte, bytes)
		start := uintptr(unsafe.Pointer(unsafe.SliceData(grown)))
		lo, hi := start, start+uintptr(bytes)
		if maps, err := os.ReadFile("/proc/self/maps"); err == nil {
			lo, hi = mappingAround(maps, lo, hi)
		}
		// The range is page-aligned: it is that of a mapping, or of an
		// allocation of more than a page, which the runtime aligns to its
		// 8 KiB pages.
		syscall.Syscall(syscall.SYS_MADVISE, lo, hi-lo, madvHugepage) //nolint:errcheck // a hint
		runtime.KeepAlive(grown)
	})
}

// isMadviseMode reports whether mode, the content of thpModeFile, selects
// "madvise": "always [madvise] never".
func isMadviseMode(mode []byte) bool {
	return bytes.Contains(mode, []byte("[madvise]"))
}

// mappingAround returns the bounds of the writable mappings of maps (the
// content of /proc/PID/maps) that overlap [lo, hi), widened to cover
// them whole, so that the advice reaches the heap's memory mapped before
// lo too; [lo, hi) itself when none does.
func mappingAround(maps []byte, lo, hi uintptr) (uintptr, uintptr) {
	from, to := lo, hi
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		start, end, ok := parseMapping(sc.Bytes())
		if !ok || end <= lo || start >= hi {
			continue
		}
		from, to = min(from, start), max(to, end)
	}
	return from, to
}

// parseMapping returns the address range of a line of /proc/PID/maps
// ("start-end perms offset dev inode [name]", addresses in hex) when the
// mapping is writable and private.
func parseMapping(line []byte) (start, end uintptr, ok bool) {
	fields := bytes.Fields(line)
	if len(fields) < 2 || !bytes.HasPrefix(fields[1], []byte("rw")) || !bytes.HasSuffix(fields[1], []byte("p")) {
		return 0, 0, false
	}
	a, b, found := bytes.Cut(fields[0], []byte("-"))
	if !found {
		return 0, 0, false
	}
	s, err := strconv.ParseUint(string(a), 16, 64)
	if err != nil {
		return 0, 0, false
	}
	e, err := strconv.ParseUint(string(b), 16, 64)
	if err != nil || e <= s {
		return 0, 0, false
	}
	return uintptr(s), uintptr(e), true
}
