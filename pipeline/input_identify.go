package pipeline

import (
	"sync"
)

// inputIdentifier adds to each input's record what identifies its
// contents, as a plan records them: for a local file its modification
// time and the SHA-256 of its ends; for an object (an [ObjectInput] among
// the job's Sources, which follow the files) its location and version,
// as its ObjectInput gives them (nothing is read). Other Sources get no
// identity. A file whose size changed since it was opened gives an
// [*sources.InputError] wrapping [sources.ErrChanged]; a file that cannot
// be read, the error of reading it.
//
// Small inputs are hashed whole, so with
// hundreds of them the hashing is a phase of its own: it can start in the
// background while the engine runs, using the time a core would wait, and
// is finished on every core once the rows are written. Which goroutine
// hashes which input changes nothing recorded: each input's record is its
// own, and the error is the one of the first input, in order, that could
// not be identified.
type inputIdentifier struct {
	infos      []InputInfo
	out        []InputInfo
	local      int
	workers    int // the most goroutines hashing at once
	background int // of which started with the engine

	q  *inputQueue // the local inputs, stopped on an error or when the job gives up
	wg sync.WaitGroup
}

// identifyBackground is how many goroutines hash a job's inputs while its
// engine runs.
const identifyBackground = 1

// startIdentify begins identifying infos, whose first local entries are
// local files and the rest the inputs of the job's Sources, srcs, in
// order, on background goroutines (none: finish does it all). At most
// workers goroutines (0: GOMAXPROCS) hash at once, the background ones
// included.
func startIdentify(infos []InputInfo, local int, srcs []Input, background, workers int) *inputIdentifier {
	local = min(local, len(infos))
	workers = inputWorkers(local, workers)
	background = min(background, workers, local)
	id := &inputIdentifier{infos: infos, out: make([]InputInfo, len(infos)), local: local,
		workers: workers, background: background, q: newInputQueue(local)}
	for i := local; i < len(infos); i++ {
		id.out[i] = infos[i]
		if j := i - local; j < len(srcs) && srcs[j].object != nil {
			id.out[i].Location, id.out[i].Version = srcs[j].object.location, srcs[j].object.version
		}
	}
	id.spawn(background)
	return id
}

// spawn starts n goroutines hashing the inputs not yet taken.
func (id *inputIdentifier) spawn(n int) {
	for range n {
		id.wg.Go(func() { id.q.work(id.hash) })
	}
}

// hash identifies local input i.
func (id *inputIdentifier) hash(i int) error {
	in, err := planInput(id.infos[i])
	if err != nil {
		return err
	}
	id.out[i] = in.InputInfo
	id.out[i].ModTime, id.out[i].EndsSHA256 = in.ModTime, in.EndsSHA256
	return nil
}

// finish hashes what is left on the identifier's workers (the background
// goroutines, more, and the caller's while there is room) and returns the
// records, or the error of the first input that could not be identified.
func (id *inputIdentifier) finish() ([]InputInfo, error) {
	if more := id.workers - id.background; more > 0 {
		id.spawn(more - 1)
		id.q.work(id.hash)
	}
	id.wg.Wait()
	if err := id.q.err(); err != nil {
		return nil, err
	}
	return id.out, nil
}

// abandon stops the hashing and waits for the goroutines, for a job that
// failed: no goroutine outlives it. After finish it does nothing.
func (id *inputIdentifier) abandon() {
	id.q.stop()
	id.wg.Wait()
}
