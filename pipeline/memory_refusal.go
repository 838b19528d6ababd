package pipeline

import (
	"fmt"
	"sort"
)

// checkMemory refuses, before any work, a job whose output row groups
// cannot be held under memory either way (see outputMemory). The error
// says which --memory would do, and which other lever would fit the
// budget as it is (refusalLever).
func checkMemory(memory int64, o outputShape) error {
	stream, need := outputMemory(memory, o)
	if memory <= 0 || need <= memory {
		return nil
	}
	group := min(o.rowGroupRows, o.rows)
	lever := refusalLever(memory, o, stream)
	pages := fmt.Sprintf("the pages of %d row groups being encoded (%d columns, pages of %s)", o.outputs+o.workers, o.leaves, sizeText(o.pageBytes))
	switch {
	case stream && o.noReadBack:
		return fmt.Errorf("%w: --memory %s cannot hold %s beside the rows in flight: use --memory %d MiB or more%s",
			ErrTooLarge, sizeText(memory), pages, need>>20+1, lever)
	case stream && o.rowPath:
		return fmt.Errorf("%w: --memory %s cannot hold an output row group of %d rows encoded (about %d bytes a row), which the row path reads back whole from parquet-go's file to re-encode its dictionary indexes, and %s beside the rows in flight: use --memory %d MiB or more%s",
			ErrTooLarge, sizeText(memory), group, o.readBackBytes(), pages, need>>20+1, lever)
	case stream:
		return fmt.Errorf("%w: --memory %s cannot hold an output row group of %d rows encoded (about %d bytes a row), read back whole as some of its columns are parquet-go's, and %s beside the rows in flight: use --memory %d MiB or more%s",
			ErrTooLarge, sizeText(memory), group, o.encodedBytes, pages, need>>20+1, lever)
	}
	return fmt.Errorf("%w: --memory %s cannot hold %d output row groups of %d rows (about %d bytes a row decoded; one pending per output, one being encoded) beside the rows in flight: use --memory %d MiB or more%s",
		ErrTooLarge, sizeText(memory), outputGroups(o.outputs, o.rowPath), group, o.rowBytes, need>>20+1, lever)
}

// minRefusalPage is the smallest page size a refusal suggests: below it a
// page's header and levels take a large share of it.
const minRefusalPage = 4 << 10

// refusalLever returns the end of a refusal of a job of shape o under
// memory: besides a larger --memory, the flag that would let the budget
// as it is hold the job. A streaming job's need is the pages of its row
// groups being encoded (a page per column each) and, where a finished row
// group is read back whole, that row group (see streamHeap): when the
// pages take more, a smaller --page-size is suggested first, with the
// largest power of two that fits; when the row group does, fewer
// --row-group-rows, with a round count that fits. A held job's need is its
// row groups of decoded rows: fewer --row-group-rows. Where neither flag
// alone fits, both are named, without values.
func refusalLever(memory int64, o outputShape, stream bool) string {
	pageFirst := false
	if stream {
		pageFirst = streamPagesTerm(o) >= streamGroupTerm(o)
	}
	page, rows := fittingPage(memory, o), fittingRows(memory, o)
	pageText := func() string { return fmt.Sprintf(", or --page-size %s or smaller", flagSize(page)) }
	rowsText := func() string { return fmt.Sprintf(", or --row-group-rows %d or fewer", rows) }
	switch {
	case pageFirst && page > 0:
		return pageText()
	case rows > 0:
		return rowsText()
	case page > 0:
		return pageText()
	}
	return "" // only a larger budget does
}

// streamPagesTerm is what streamHeap counts for the pages of the row
// groups being encoded (with minMemory, by the factor of the
// collector's headroom).
func streamPagesTerm(o outputShape) int64 {
	o.noReadBack = true
	return streamHeap(o)
}

// streamGroupTerm is what streamHeap counts for a finished row group read
// back whole: none where no row group is.
func streamGroupTerm(o outputShape) int64 {
	return streamHeap(o) - streamPagesTerm(o)
}

// fittingPage is the largest power of two below o's page size, and at
// least minRefusalPage, that lets memory hold the job; 0 when none does.
func fittingPage(memory int64, o outputShape) int64 {
	for p := int64(1) << 62; p >= minRefusalPage; p /= 2 {
		if p >= o.pageBytes {
			continue
		}
		o.pageBytes = p
		if _, need := outputMemory(memory, o); need > 0 && need <= memory {
			return p
		}
	}
	return 0
}

// fittingRows is the largest row count of output row groups, fewer than
// o's and rounded down to two significant digits, that lets memory hold
// the job; 0 when none does.
func fittingRows(memory int64, o outputShape) int64 {
	group := min(o.rowGroupRows, o.rows)
	if group <= 1 {
		return 0
	}
	fits := func(rows int64) bool {
		o.rowGroupRows = rows
		_, need := outputMemory(memory, o)
		return need > 0 && need <= memory
	}
	// The need grows with the rows: the first count that does not fit.
	n := int64(sort.Search(int(min(group-1, 1<<40)), func(i int) bool { return !fits(int64(i) + 1) }))
	if n == 0 {
		return 0
	}
	return roundDown2(n)
}

// roundDown2 rounds n > 0 down to two significant digits.
func roundDown2(n int64) int64 {
	unit := int64(1)
	for n/unit >= 100 {
		unit *= 10
	}
	return n / unit * unit
}

// flagSize writes n bytes as a flag takes them: in MiB when whole, else
// in KiB, else in bytes.
func flagSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%d", n)
}
