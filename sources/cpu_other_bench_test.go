//go:build !unix

package sources_test

import (
	"testing"
	"time"
)

// processCPU returns 0: CPU time is read only on Unix.
func processCPU(*testing.B) time.Duration { return 0 }

// reportCPU reports nothing where CPU time is not read.
func reportCPU(*testing.B, time.Duration) {}
