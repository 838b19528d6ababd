package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// peakEnv names the file where this test binary, run as a go-between,
// writes the peak RSS of the splitdata it runs (see runPeak).
const peakEnv = "SPLITDATA_TEST_PEAK"

// runPeak runs this binary as splitdata with the go-between's arguments,
// waits for it and writes its peak RSS in bytes to file; it returns the
// child's exit status. A child's peak RSS as wait4 reports it is at least
// the peak of the process it was exec'ed from (Linux counts the address
// space the child was cloned from before exec replaced it), so a child of
// the test binary, whose other tests may have grown it to hundreds of MiB,
// would report the test binary's peak; a child of this fresh go-between is
// charged with the go-between's small peak only.
func runPeak(file string) int {
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, peakEnv+"=")
	}), "SPLITDATA_TEST_MAIN=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		os.Stderr.WriteString("peak: " + err.Error() + "\n")
		return 125
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		os.Stderr.WriteString("peak: no rusage for the child\n")
		return 125
	}
	if err := os.WriteFile(file, []byte(strconv.FormatInt(int64(ru.Maxrss)<<10, 10)), 0o644); err != nil { // KiB on Linux
		os.Stderr.WriteString("peak: " + err.Error() + "\n")
		return 125
	}
	return cmd.ProcessState.ExitCode()
}

// splitdataPeakCmd is splitdataCmd run through the go-between of runPeak;
// peak returns the peak RSS of splitdata once the command has run.
func splitdataPeakCmd(t *testing.T, dir string, args ...string) (cmd *exec.Cmd, peak func() int64) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "peak")
	cmd = exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), peakEnv+"="+file)
	return cmd, func() int64 {
		t.Helper()
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("peak RSS of splitdata: %v", err)
		}
		n, err := strconv.ParseInt(string(b), 10, 64)
		if err != nil {
			t.Fatalf("peak RSS of splitdata: %v", err)
		}
		return n
	}
}
