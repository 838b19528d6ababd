//go:build !unix

package storage

// processAlive reports whether a process pid runs on this machine: here
// unknown, so every holder counts as alive and its lock ages out.
func processAlive(int) bool { return true }
