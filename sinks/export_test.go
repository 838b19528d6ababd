package sinks

// PaysDictionary exposes paysDictionary to the black-box tests.
var PaysDictionary = paysDictionary

// WithoutPageWriter makes e write every column of batches with
// parquet-go's writer, the reference of the page writer's differential
// test.
func WithoutPageWriter(e *RowGroupEncoder) { e.noPageWriter = true }

// OwnColumns reports which columns of e's schema the page writer covers.
func OwnColumns(e *RowGroupEncoder) []bool {
	own := make([]bool, len(e.leaves))
	for c := range own {
		own[c] = e.ownColumn(c)
	}
	return own
}
