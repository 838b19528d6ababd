package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	// The crash test runs this binary as splitdata itself.
	if os.Getenv("SPLITDATA_TEST_MAIN") == "1" {
		os.Exit(runMain())
	}
	testscript.Main(m, map[string]func(){
		"splitdata": func() {
			code := runMain()
			// Leave the exit status for the script's status command.
			if work := os.Getenv("WORK"); work != "" {
				_ = os.WriteFile(filepath.Join(work, statusFile), []byte(strconv.Itoa(code)), 0o644)
			}
			os.Exit(code)
		},
	})
}

// statusFile holds the exit status of the last splitdata run of a script.
const statusFile = ".splitdata-status"

// cmdStatus is the script command "status N": the last splitdata command
// exited with status N.
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: status N")
	}
	got, err := os.ReadFile(ts.MkAbs(statusFile))
	ts.Check(err)
	if string(got) != args[0] {
		ts.Fatalf("exit status %s, want %s", got, args[0])
	}
}

// TestScripts runs the txtar scripts in testdata/script: each runs the real
// command line and checks stdout, stderr and the exit status.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:  "testdata/script",
		Cmds: map[string]func(*testscript.TestScript, bool, []string){"status": cmdStatus, "sleep": cmdSleep},
		Setup: func(env *testscript.Env) error {
			env.Setenv("SHARED", corpusRoot())
			// Binary inputs a txtar cannot hold (testdata/hostile).
			testdata, err := filepath.Abs("testdata")
			if err != nil {
				return err
			}
			env.Setenv("TESTDATA", testdata)
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond == "corpus" {
				return corpusRoot() != "", nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
	})
}

// cmdSleep is the script command "sleep DURATION".
func cmdSleep(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sleep DURATION")
	}
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	time.Sleep(d)
}

// corpusRoot is the parquet-testing corpus beside the repository, or "" when
// it is absent.
func corpusRoot() string {
	abs, err := filepath.Abs("../../../shared/parquet-testing")
	if err != nil {
		return ""
	}
	if _, err := os.Stat(abs); err != nil {
		return ""
	}
	return abs
}
