package sinks

// ByteArrayBounds exposes byteArrayBounds, a page's bounds of PLAIN byte
// arrays.
var ByteArrayBounds = byteArrayBounds
