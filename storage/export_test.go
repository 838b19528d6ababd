package storage

import "context"

// WithGCSEndpoint is opts with the GCS JSON API endpoint of an emulator.
func WithGCSEndpoint(opts Options, endpoint string) Options {
	opts.endpoint = endpoint
	return opts
}

// Kill stops o as a killed process would: the lock is no longer
// refreshed, and nothing is removed or released.
func Kill(o *Output) {
	close(o.lock.stop)
	<-o.lock.stopped
}

// StopPublishAfter makes the next commits of the package stop, as if the
// process were killed, after n files are published to the output.
func StopPublishAfter(n int) (restore func()) {
	return StopPublishAt(StepFile, n)
}

// Steps of a publication StopPublishAt can stop at.
const (
	StepStart           = stepStart
	StepManifestRemoved = stepManifestRemoved
	StepOldRemoved      = stepOldRemoved
	StepFile            = stepFile
	StepManifest        = stepManifest
)

// StopPublishAt makes the next publications of the package stop, as if
// the process were killed, at step (for StepFile: once n files are
// published).
func StopPublishAt(step string, n int) (restore func()) {
	publishHook = func(s string, k int) bool { return s == step && (step != stepFile || k >= n) }
	return func() { publishHook = nil }
}

// SetAbortBatch sets how many open uploads a run aborts per listing, until
// the test ends.
func SetAbortBatch(t interface{ Cleanup(func()) }, n int) {
	old := abortBatch
	abortBatch = n
	t.Cleanup(func() { abortBatch = old })
}

// OpenUploads lists the uploads open under prefix (S3).
func OpenUploads(ctx context.Context, s *Store, prefix string) ([]string, error) {
	ul, ok := s.be.(uploadLister)
	if !ok {
		return nil, nil
	}
	var keys []string
	_, err := ul.listUploads(ctx, prefix, func(key, _ string) error {
		keys = append(keys, key)
		return nil
	})
	return keys, err
}

// CreateAzureContainer creates the container of loc (for Azurite).
func CreateAzureContainer(ctx context.Context, loc Location) error {
	be, err := newAzure(ctx, loc, Options{}.withDefaults())
	if err != nil {
		return err
	}
	_, err = be.(*azureBackend).c.Create(ctx, nil)
	return err
}

// LoopbackBody is loopbackBody.
var LoopbackBody = loopbackBody

// KillScratch stops d as a killed process would: its lock is no longer
// refreshed, and nothing is removed.
func KillScratch(d *Scratch) {
	close(d.lock.stop)
	<-d.lock.stopped
}
