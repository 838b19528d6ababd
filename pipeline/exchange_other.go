//go:build !linux

package pipeline

// exchange would swap two directories atomically; no portable call does,
// so replacements take two renames here.
func exchange(a, b string) error { return errNoExchange }
