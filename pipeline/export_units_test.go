package pipeline

// Cuts exposes cuts, where a row group's units end, to tests.
var Cuts = cuts
