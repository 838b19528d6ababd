package sinks

// AppendIndexRuns exposes appendIndexRuns to the black-box tests.
var AppendIndexRuns = appendIndexRuns
