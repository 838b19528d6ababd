// Package sources reads tabular input files for splitdata. It knows nothing
// about splits: it reports row counts and schemas from file footers and
// streams the rows of one unit (a row group) at a time.
package sources
