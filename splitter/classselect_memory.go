package splitter

import (
	"errors"
	"fmt"
	"unsafe"
)

// The memory of the class radix select ([StratifiedBoundaries],
// [OrderBoundaries], [RowBalancedThresholds]). Its caller gives it a budget
// in bytes; the tuning (rows collected per pass, histogram counters and
// rows per worker task, and how many workers) follows from the budget, so
// the search holds what its options allow, whatever the input. A smaller
// tuning takes more passes over the stream, never another result.

// ErrTooLarge reports a search whose memory budget cannot hold even its
// least tuning: too many classes and target ranks for the bytes given.
var ErrTooLarge = errors.New("too large for the memory budget")

// The least tuning a budget scales the default down to: below it a pass
// resolves so few key bits that passes, each a read of the whole stream,
// would multiply.
const (
	minClassHist    = 1 << 11
	minClassCollect = 1 << 13
	minClassChunk   = 1 << 10
)

// Bytes the search holds besides its histograms and collected rows.
const (
	// classRowBytes is a collected row.
	classRowBytes = int64(unsafe.Sizeof(classRow{}))
	// targetBytes is a target rank: the target, its probe (twice, as the
	// probes of a pass are appended), its slice of collected rows, the
	// row a range of one index collects beyond the limit, and its
	// boundary.
	targetBytes = int64(unsafe.Sizeof(classTarget{})+2*unsafe.Sizeof(classProbe{})+unsafe.Sizeof([]classRow(nil))) + classRowBytes + 16
	// classBytes is a class: its row count, its first probe in a pass and
	// its boundary list.
	classBytes = 8 + 8 + 24
)

// memory is the most bytes a search with tuning tu holds at once on
// workers goroutines over m classes and t target ranks: the rows one pass collects, and per worker a
// histogram of at most 2*hist + 2*t counters (each probe's bucket count
// is a power of two at least 2, at most twice its rows over the leaf
// size), a task's rows and its keys (when generated; counted always).
func (tu classTuning) memory(workers, m, t int) int64 {
	perWorker := 8*(2*tu.hist+2*int64(t)) + classRowBytes*min(tu.collect, tu.chunk) + 8*tu.chunk
	return classBytes*int64(m+1) + targetBytes*int64(t) + classRowBytes*tu.collect + int64(workers)*perWorker
}

// leastClassTuning is the smallest tuning a budget scales down to.
var leastClassTuning = classTuning{hist: minClassHist, collect: minClassCollect, chunk: minClassChunk}

// MinSearchMemory is the least memory budget, in bytes, of a search over
// classes classes (1 for [OrderBoundaries] and [RowBalancedThresholds])
// for targets target ranks (at most classes times the number of splits):
// the least tuning on one worker. A smaller budget is refused with
// [ErrTooLarge].
func MinSearchMemory(classes, targets int) int64 {
	return leastClassTuning.memory(1, classes, targets)
}

// classTuningFor returns the tuning and worker count of a search over m
// classes and t targets under a budget of memory bytes (0 or less: the
// default tuning on every worker). It scales the default down, halving
// rows collected, histogram counters and task rows together down to the
// least tuning, then takes workers away; a budget below the least tuning
// on one worker is an error wrapping ErrTooLarge.
func classTuningFor(memory int64, workers, m, t int) (classTuning, int, error) {
	tu, w := defaultClassTuning, max(workers, 1)
	if memory <= 0 {
		return tu, w, nil
	}
	for tu.memory(w, m, t) > memory {
		switch {
		case tu.collect > leastClassTuning.collect || tu.hist > leastClassTuning.hist || tu.chunk > leastClassTuning.chunk:
			tu.collect = max(tu.collect/2, leastClassTuning.collect)
			tu.hist = max(tu.hist/2, leastClassTuning.hist)
			tu.chunk = max(tu.chunk/2, leastClassTuning.chunk)
		case w > 1:
			w--
		default:
			return tu, w, fmt.Errorf("splitter: %w: the search over %d classes for %d ranks needs at least %d KiB, the budget is %d KiB",
				ErrTooLarge, m, t, (MinSearchMemory(m, t)+1023)>>10, memory>>10)
		}
	}
	return tu, w, nil
}

// searchTuning returns the tuning and worker count of a search: fixed when
// a test gives one (hist above 0), else classTuningFor's.
func searchTuning(memory int64, fixed classTuning, workers, m, t int) (classTuning, int, error) {
	if fixed.hist > 0 {
		return fixed, max(workers, 1), nil
	}
	return classTuningFor(memory, workers, m, t)
}
