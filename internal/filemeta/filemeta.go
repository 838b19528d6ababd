// Package filemeta holds what sources read from a file's metadata and
// sinks write back into theirs, so that both speak of it in one type.
package filemeta

// KeyValue is one entry of a file's key/value metadata (a Parquet footer's
// key_value_metadata, an Arrow IPC schema's custom metadata).
type KeyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}
