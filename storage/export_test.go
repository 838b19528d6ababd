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
// process were killed, after n staged files are copied to the output.
func StopPublishAfter(n int) (restore func()) {
	publishHook = func(copied int) bool { return copied >= n }
	return func() { publishHook = nil }
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
