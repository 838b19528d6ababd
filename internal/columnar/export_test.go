package columnar

// SetChunkMaxBytes sets the most byte array bytes a Chunk gathers, and
// returns a function restoring it.
func SetChunkMaxBytes(n int64) (restore func()) {
	old := chunkMaxBytes
	chunkMaxBytes = n
	return func() { chunkMaxBytes = old }
}
