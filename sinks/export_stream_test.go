package sinks

// FreeBlocks returns how many of p's blocks are free: all it made once
// every row group holding them was released.
func FreeBlocks(p *BlockPool) (free, made int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.free), p.made
}

// Spooled reports whether g's pages were left where its stream held them
// (blocks and temporary file) rather than joined in one buffer.
func Spooled(g *EncodedRowGroup) bool { return g.pages != nil }
