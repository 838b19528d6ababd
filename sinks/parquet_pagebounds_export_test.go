package sinks

// ByteArrayBounds exposes byteArrayBounds, a page's bounds of PLAIN byte
// arrays.
var ByteArrayBounds = byteArrayBounds

// Int64Bounds exposes int64Bounds, a page's bounds of INT64 values.
var Int64Bounds = int64Bounds

// Float64Bounds exposes float64Bounds, a page's bounds of DOUBLE values
// from its first non-NaN one.
var Float64Bounds = float64Bounds
