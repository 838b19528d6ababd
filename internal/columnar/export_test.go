package columnar

// SetChunkMaxBytes sets the most byte array bytes a Chunk gathers, and
// returns a function restoring it.
func SetChunkMaxBytes(n int64) (restore func()) {
	old := chunkMaxBytes
	chunkMaxBytes = n
	return func() { chunkMaxBytes = old }
}

// ViewsHeld is how many rows' views of batches' bytes the chunk's
// memory holds, current or left from earlier reads.
func ViewsHeld(ch *Chunk) int {
	n := 0
	for _, v := range ch.pickedBuf[:cap(ch.pickedBuf)] {
		if v != nil {
			n++
		}
	}
	return n
}
