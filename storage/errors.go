package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
)

// Classes of failure callers branch on with [errors.Is]; the detail (what
// was attempted, on which object, with which status) is in an [*Error]
// wrapping one of them, or in a plain wrapping for the output ones.
var (
	// ErrNotFound reports a bucket or object that does not exist (404).
	ErrNotFound = errors.New("not found")
	// ErrPermission reports a request the store refused for the
	// credentials found (401, 403).
	ErrPermission = errors.New("permission denied")
	// ErrChanged reports an object whose identity (ETag, generation or
	// size) is not the one it had when it was opened.
	ErrChanged = errors.New("object changed since it was opened")
	// ErrExists reports an output prefix that already holds objects, and
	// no overwrite was asked for.
	ErrExists = errors.New("output exists")
	// ErrLocked reports an output another run is writing (its lock object
	// exists).
	ErrLocked = errors.New("output is locked by another run")
)

// Error is a failed request to an object store: what was attempted, on
// which object (a URL without credentials), the HTTP status when the
// store answered, and the class ([ErrNotFound], [ErrPermission],
// [ErrChanged]) or the library's error.
type Error struct {
	Op     string // "read", "stat", "list", "write", "copy", "delete"
	URL    string
	Status int // HTTP status; 0 when no answer was received
	Err    error
}

// Error is "read s3://b/k: 403 Forbidden: permission denied: <detail>".
func (e *Error) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("%s %s: %v", e.Op, e.URL, e.Err)
	}
	return fmt.Sprintf("%s %s: %d %s: %v", e.Op, e.URL, e.Status, http.StatusText(e.Status), e.Err)
}

// Unwrap returns the class or the library's error.
func (e *Error) Unwrap() error { return e.Err }

// classify wraps err, returned by a backend for op on url, as an *Error
// with its status and class. Context errors pass through unchanged.
func classify(op, url string, status int, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var se *Error
	if errors.As(err, &se) {
		return err
	}
	switch {
	case status == http.StatusNotFound && !errors.Is(err, ErrNotFound):
		err = fmt.Errorf("%w: %w", ErrNotFound, err)
	case (status == http.StatusForbidden || status == http.StatusUnauthorized) && !errors.Is(err, ErrPermission):
		err = fmt.Errorf("%w (check the credentials and the bucket's permissions): %w", ErrPermission, err)
	case status == http.StatusPreconditionFailed && op == "read" && !errors.Is(err, ErrChanged):
		err = fmt.Errorf("%w: %w", ErrChanged, err)
	}
	return &Error{Op: op, URL: url, Status: status, Err: err}
}

// retryable reports whether a request that failed with status and err
// may succeed when sent again: throttling, server errors, timeouts and
// connections dropped before or during the response, a success's body
// included.
func retryable(status int, err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	switch status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests,
		http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	if status != 0 && status/100 != 2 {
		return false
	}
	// No answer, or a success whose body was cut short (a listing read
	// as it arrives): sent again if the connection failed.
	var ne net.Error
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE) || errors.As(err, &ne)
}

// IsTransient reports whether err is a store's failure that a later run
// may well not meet: a request still failing for a passing reason
// (throttling, 408, 5xx, a timeout, a dropped connection) once its
// retries were spent, or an output locked by a live run ([ErrLocked]).
// Refusals (403, 404, a changed object, an existing output) are not.
func IsTransient(err error) bool {
	if errors.Is(err, ErrLocked) {
		return true
	}
	var se *Error
	if !errors.As(err, &se) {
		return false
	}
	return retryable(se.Status, se.Err)
}
