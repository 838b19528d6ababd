package sources

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// Record batches that ranges share. A record batch is decoded whole: its
// body is one message, read and decompressed by arrow-go at once. A large
// one is read as several units (ReadBatchRangeInto), each a range of its
// rows, so that no unit's batch is larger than the engine's unit budget;
// decoding it for every range would read and decompress it once per unit,
// and hold as many copies as units in flight. Instead the first range to
// need it decodes it, the ranges read at the same time copy their rows out
// of the one copy, and the copy is released once ranges covering all its
// rows have been read (or when the input is closed, for ranges never
// read): a record batch read in ranges is held once, as the row path holds
// it while it streams its rows.

// sharedRecord is a decoded record batch that ranges of it read.
type sharedRecord struct {
	ready chan struct{} // closed once rec or err is set
	rec   arrow.RecordBatch
	err   error
	left  int64 // rows of the record batch no range has claimed yet
	users int   // ranges reading rec now
}

// record returns record batch i, decoded and checked, for reading rows
// [first, first+count), and the function that ends the read. A whole
// record batch is decoded for the caller alone; a range shares the decoded
// record batch with the other ranges of it.
func (a *Arrow) record(i int, first, count int64) (arrow.RecordBatch, func(), error) {
	if first == 0 && count == a.batches[i].rows {
		rec, err := a.decodeChecked(i)
		if err != nil {
			return nil, nil, err
		}
		return rec, rec.Release, nil
	}
	a.shareMu.Lock()
	s := a.shared[i]
	decode := s == nil
	if decode {
		s = &sharedRecord{ready: make(chan struct{}), left: a.batches[i].rows}
		if a.shared == nil {
			a.shared = make(map[int]*sharedRecord)
		}
		a.shared[i] = s
	}
	s.users++
	if s.left -= count; s.left <= 0 {
		// Every row has a reader: a later read of the record batch (a
		// second pass) decodes it anew.
		delete(a.shared, i)
	}
	a.shareMu.Unlock()
	if decode {
		s.rec, s.err = a.decodeChecked(i)
		s.err = batchUnit(a.name, s.err) // set before other readers see it
		close(s.ready)
	} else {
		<-s.ready
	}
	done := func() {
		a.shareMu.Lock()
		s.users--
		free := s.users == 0 && s.left <= 0
		a.shareMu.Unlock()
		if free && s.rec != nil {
			s.rec.Release()
		}
	}
	if s.err != nil {
		done()
		return nil, nil, s.err
	}
	return s.rec, done, nil
}

// decodeChecked decodes record batch i and checks it against its header
// and the schema, as ReadUnit does. The caller releases it.
func (a *Arrow) decodeChecked(i int) (arrow.RecordBatch, error) {
	rec, err := a.decode(i)
	if err != nil {
		return nil, err
	}
	if err := a.checkRecord(i, rec); err != nil {
		rec.Release()
		return nil, err
	}
	return rec, nil
}

// dropShared releases the record batches ranges still hold, when the input
// is closed. It waits for decodes under way.
func (a *Arrow) dropShared() {
	a.shareMu.Lock()
	shared := a.shared
	a.shared = nil
	a.shareMu.Unlock()
	for _, s := range shared {
		<-s.ready
		a.shareMu.Lock()
		free := s.users == 0
		a.shareMu.Unlock()
		if free && s.rec != nil {
			s.rec.Release()
		}
	}
}
