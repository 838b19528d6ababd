package pipeline

// EachInput is eachInput, for the tests of package pipeline_test.
var EachInput = eachInput
