package sinks

// PaysDictionary exposes paysDictionary to the black-box tests.
var PaysDictionary = paysDictionary
