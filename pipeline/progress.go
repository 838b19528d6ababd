package pipeline

// Progress receives the progress of a job, for a progress bar or a log.
// The pipeline calls it from one goroutine at a time, in order; calls must
// return quickly. Progress never influences the output.
type Progress interface {
	// Phase announces a new phase of the job and the rows it will handle
	// (0 when unknown). Split's phases are "plan", "boundaries" (exact
	// splits only), "split" and "commit".
	Phase(name string, rows int64)
	// Add reports rows done in the current phase since the last call.
	Add(rows int64)
}

// noProgress is the Progress of a job that reports none.
type noProgress struct{}

func (noProgress) Phase(string, int64) {}
func (noProgress) Add(int64)           {}
