// Package sinks writes tabular output files for splitdata. It knows nothing
// about splits: it encodes rows into files whose bytes depend only on the rows
// and the options, never on timing or on how many goroutines did the work.
package sinks
