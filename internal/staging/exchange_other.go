//go:build !linux

package staging

// Exchange would swap two directories atomically; no portable call does,
// so replacements take two renames here.
func Exchange(a, b string) error { return ErrNoExchange }
