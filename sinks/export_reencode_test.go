package sinks

// ReencodedColumns is e.reencodedColumns: how many of its columns e may
// re-encode the dictionary indexes of.
func ReencodedColumns(e *RowGroupEncoder, batches bool) int { return e.reencodedColumns(batches) }
