package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/sources"
)

// throttled is an object store's "slow down" answer, as a storage client
// would report it: a temporary error.
type throttled struct{}

func (throttled) Error() string   { return "503 Slow Down" }
func (throttled) Temporary() bool { return true }

// refused is an error that says it is not temporary.
type refused struct{}

func (refused) Error() string   { return "403 Forbidden" }
func (refused) Temporary() bool { return false }

// TestExitCodeClasses checks the exit status and error class of each kind
// of failure a retry policy tells apart.
func TestExitCodeClasses(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	inputErr := func(err error) error {
		return &sources.InputError{Path: "data/a.parquet", RowGroup: 3, Err: err}
	}
	cases := []struct {
		name  string
		ctx   context.Context
		err   error
		code  int
		class string
	}{
		{"bad input", nil, inputErr(sources.ErrCorrupt), 1, "input"},
		{"unsupported input", nil, fmt.Errorf("open: %w", inputErr(sources.ErrUnsupported)), 1, "input"},
		{"input changed during the run", nil, inputErr(sources.ErrChanged), 1, "input"},
		{"output exists", nil, fmt.Errorf("%w: out", pipeline.ErrOutputExists), 1, "failure"},
		{"output differs on --if-exists skip", nil, fmt.Errorf("%w: out: seed 1", pipeline.ErrOutputDiffers), 1, "failure"},
		{"permission denied", nil, &os.PathError{Op: "open", Path: "out", Err: syscall.EACCES}, 1, "failure"},
		{"other error", nil, errors.New("boom"), 1, "failure"},
		{"not temporary", nil, fmt.Errorf("get: %w", refused{}), 1, "failure"},
		{"usage flag", nil, usagef("--seed is empty"), 2, "usage"},
		{"usage option", nil, fmt.Errorf("%w: ratios", pipeline.ErrUsage), 2, "usage"},
		{"no input", nil, fmt.Errorf("%w: data/", pipeline.ErrNoInput), 2, "usage"},
		{"lock held by a live run", nil, fmt.Errorf("%w: pid 12", pipeline.ErrLocked), 75, "transient"},
		{"no space on temp", nil, fmt.Errorf("shuffle: spill: %w", &os.PathError{Op: "write", Path: "/tmp/x", Err: syscall.ENOSPC}), 75, "transient"},
		{"over quota", nil, &os.PathError{Op: "write", Path: "out", Err: syscall.EDQUOT}, 75, "transient"},
		{"connection reset", nil, &net.OpError{Op: "read", Net: "tcp", Err: &os.SyscallError{Syscall: "read", Err: syscall.ECONNRESET}}, 75, "transient"},
		{"stale NFS handle while reading an input", nil, inputErr(&os.PathError{Op: "read", Path: "a", Err: syscall.ESTALE}), 75, "transient"},
		{"network timeout", nil, fmt.Errorf("read: %w", os.ErrDeadlineExceeded), 75, "transient"},
		{"throttled", nil, fmt.Errorf("get s3://b/k: %w", throttled{}), 75, "transient"},
		{"too many open files", nil, &os.PathError{Op: "open", Path: "a", Err: syscall.EMFILE}, 75, "transient"},
		{"interrupted", canceled, errors.New("read: context canceled"), 130, "interrupted"},
		{"canceled", nil, fmt.Errorf("write: %w", context.Canceled), 130, "interrupted"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := tc.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			code := exitCode(ctx, tc.err)
			if code != tc.code {
				t.Errorf("exitCode(%v) = %d, want %d", tc.err, code, tc.code)
			}
			if class := errorClass(code, tc.err); class != tc.class {
				t.Errorf("errorClass = %q, want %q", class, tc.class)
			}
		})
	}
}

// TestHelpListsExitStatuses checks that --help documents every exit status.
func TestHelpListsExitStatuses(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"--help"}, &stdout, &stderr); code != 0 {
		t.Fatalf("--help: exit %d: %s", code, stderr.String())
	}
	for _, code := range []int{exitOK, exitFailure, exitUsage, exitTransient, exitInterrupted} {
		if !strings.Contains(stdout.String(), fmt.Sprintf("\n  %-4d ", code)) {
			t.Errorf("--help lists no exit status %d:\n%s", code, stdout.String())
		}
	}
	for _, class := range errorClasses {
		if !strings.Contains(stdout.String(), class) {
			t.Errorf("--help does not name error class %q", class)
		}
	}
}

// TestInterruptedMessage checks that an interrupted command that writes
// nothing does not claim to have removed a temporary output, and that one
// that writes does, both through run with a cancelled context.
func TestInterruptedMessage(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in")
	genInput(t, in)
	out := filepath.Join(t.TempDir(), "out")
	runCLI(t, t.Context(), exitOK, "split", in, "--out", out, "--seed", "1", "-q")
	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"verify", out, "--input", in}, "splitdata: interrupted\n"},
		{[]string{"split", in, "--out", filepath.Join(t.TempDir(), "o"), "--seed", "1", "-q"}, "splitdata: interrupted; temporary output removed, nothing written\n"},
	} {
		_, stderr := runCLI(t, canceled, exitInterrupted, tt.args...)
		if stderr != tt.want {
			t.Errorf("splitdata %s interrupted: stderr %q, want %q", strings.Join(tt.args, " "), stderr, tt.want)
		}
	}
	for _, c := range []string{"inspect", "explain"} {
		if got := interruptedMessage(c); got != "interrupted" {
			t.Errorf("%s interrupted says %q", c, got)
		}
	}
}
