package sources

// SetCodecErr makes the capped codecs count as not installed, for err,
// until restore is called.
func SetCodecErr(err error) (restore func()) {
	old := codecErr
	codecErr = err
	return func() { codecErr = old }
}
