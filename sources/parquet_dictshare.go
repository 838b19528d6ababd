package sources

import (
	"sync"

	"github.com/splitdata/splitdata/internal/columnar"
)

// Dictionaries shared by the units of a row group. A row group cut into
// units of a few pages is read by as many ReadBatchRangeInto calls, each
// of which would decode every dictionary-encoded column chunk's dictionary
// again, and hold its own copy, for rows that all index the same one.
// Once the reader of the units has said how many ranges of the row group
// it will read ([Parquet.ShareDictionaries]), the first range to need a
// chunk's dictionary decodes it into the cache, the others wait for it
// and use it, read-only, and the last range to end drops the row group's
// entries. Whichever range decodes it, the dictionary is the same values,
// so sharing never changes a batch. The cache holds the dictionaries of
// the row groups whose ranges are being read, each at most its chunks'
// dictionary pages decoded (whose sizes checkPageHeader checked against
// MaxPageBytes and MaxPageValues before anything was decoded); the engine
// counts them in every unit's memory (DictionaryBytes).

// dictShare is the cache of shared dictionaries of a Parquet input.
type dictShare struct {
	mu      sync.Mutex
	pending map[int]int             // row group -> ranges still to be read
	entries map[dictKey]*sharedDict // decoded or being decoded
	decodes int                     // dictionaries decoded into entries, for tests
}

// dictKey names a column chunk: column c of row group rg.
type dictKey struct{ rg, c int }

// sharedDict is a column chunk's dictionary, decoded once. done is closed
// when col and longest (or err) are set.
type sharedDict struct {
	done    chan struct{}
	col     *columnar.Column
	longest int64
	err     error
}

// ShareDictionaries tells p that the next ranges reads of parts of row
// group rg by [Parquet.ReadBatchRangeInto] are the units of one job, which
// then decode each column chunk's dictionary once and share it; the
// dictionaries are dropped when the last of those reads ends, whether it
// succeeded or not. Calls add up. A count of 1 or less shares nothing.
// ShareDictionaries may be called concurrently with reads.
func (p *Parquet) ShareDictionaries(rg, ranges int) {
	if rg < 0 || rg >= len(p.rows) || ranges <= 1 {
		return
	}
	s := &p.dicts
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending == nil {
		s.pending = make(map[int]int)
		s.entries = make(map[dictKey]*sharedDict)
	}
	s.pending[rg] += ranges
}

// shared reports whether reads of row group rg share its dictionaries.
func (s *dictShare) shared(rg int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending[rg] > 0
}

// get returns the dictionary of column c of row group rg, decoding it
// with decode if no read has yet: a read finding another one decoding it
// waits for it. An error of decode is every waiter's.
func (s *dictShare) get(rg, c int, decode func() (*columnar.Column, error)) (*columnar.Column, int64, error) {
	k := dictKey{rg, c}
	s.mu.Lock()
	if s.pending[rg] <= 0 {
		// More reads than were announced: this one keeps its own.
		s.mu.Unlock()
		col, err := decode()
		if err != nil {
			return nil, 0, err
		}
		return col, longest(col), nil
	}
	d, ok := s.entries[k]
	if !ok {
		d = &sharedDict{done: make(chan struct{})}
		s.entries[k] = d
		s.decodes++
	}
	s.mu.Unlock()
	if ok {
		<-d.done
		return d.col, d.longest, d.err
	}
	// decode runs the decoder under guard: it returns, and done is
	// closed, whatever the input holds.
	d.col, d.err = decode()
	if d.err == nil {
		d.longest = longest(d.col)
	}
	close(d.done)
	return d.col, d.longest, d.err
}

// done ends one shared read of row group rg, dropping its dictionaries
// after the last.
func (s *dictShare) done(rg int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.pending[rg]
	if !ok {
		return
	}
	if n > 1 {
		s.pending[rg] = n - 1
		return
	}
	delete(s.pending, rg)
	for k := range s.entries {
		if k.rg == rg {
			delete(s.entries, k)
		}
	}
}

// reset drops every shared dictionary and pending read.
func (s *dictShare) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending, s.entries = nil, nil
}

// useDictionary sets r's dictionary of column c: the one the ranges of its
// row group share, decoded by the first to need it, or decoded here when
// r does not share.
func (r *chunkReader) useDictionary(c int, decode func() (*columnar.Column, error)) error {
	var err error
	if r.share {
		r.dict, r.dictMax, err = r.p.dicts.get(r.rg, c, decode)
	} else if r.dict, err = decode(); err == nil {
		r.dictMax = longest(r.dict)
	}
	if err != nil {
		r.dict = nil
	}
	return err
}
