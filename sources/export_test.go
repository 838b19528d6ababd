package sources

// SetCodecErr makes the capped codecs count as not installed, for err,
// until restore is called.
func SetCodecErr(err error) (restore func()) {
	old := codecErr
	codecErr = err
	return func() { codecErr = old }
}

// SetFetchWindow makes the windows of Parquet inputs over a Fetcher hold
// at most n bytes, until restore is called.
func SetFetchWindow(n int64) (restore func()) {
	old := fetchWindow
	fetchWindow = n
	return func() { fetchWindow = old }
}
