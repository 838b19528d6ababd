package pipeline

// LockOutput takes, without waiting, the lock a job holds on its output
// directory dir while it writes it, for a tool that changes an existing
// output in place (report --card rewrites its README.md and manifest):
// if a run holds it, it fails at once with an error wrapping
// [ErrLocked], and while the caller holds it no run starts on dir. Like
// a job, it first puts right what an interrupted replacement of dir
// left. The caller must call unlock; the lock also ends with the
// process.
func LockOutput(dir string) (unlock func(), err error) {
	l, err := lockOutput(dir)
	if err != nil {
		return nil, err
	}
	return l.Unlock, nil
}
