package storage

// HeldBlocks returns how many read blocks the Objects of s hold now, the
// most they held at once, and the most they may hold.
func HeldBlocks(s *Store) (now, peak, capacity int) {
	s.pool.mu.Lock()
	defer s.pool.mu.Unlock()
	return len(s.pool.blocks), s.pool.peak, s.pool.capacity
}
