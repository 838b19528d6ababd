package sinks

// ReencodedColumns is e.reencodedColumns: how many of its columns e may
// re-encode the dictionary indexes of.
func ReencodedColumns(e *RowGroupEncoder, batches bool) int { return e.reencodedColumns(batches) }

// TranscodersKept empties the pool of index re-encoders between row
// groups and returns how many it held.
func TranscodersKept() int {
	n := 0
	for transcoders.get() != nil {
		n++
	}
	return n
}
