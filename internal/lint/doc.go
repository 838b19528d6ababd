// Package lint holds tests of the module's structure; it has no code.
package lint
