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
	if file := os.Getenv(peakEnv); file != "" {
		os.Exit(runPeak(file))
	}
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
		Cmds: map[string]func(*testscript.TestScript, bool, []string){"status": cmdStatus, "sleep": cmdSleep, "planedit": cmdPlanEdit},
		Setup: func(env *testscript.Env) error {
			root, err := corpusRoot()
			if err != nil {
				return err
			}
			env.Setenv("SHARED", root)
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
				_, err := corpusRoot()
				return err == nil, err
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

// corpusRoot returns the absolute path of the parquet-testing corpus that
// ships in the repository's testdata/, or an error when it is missing: a
// clone without the corpus must fail its scripts, not skip them. Scripts
// find it in $SHARED (its old home was a shared directory beside the
// clone) and may test the condition [corpus].
func corpusRoot() (string, error) {
	abs, err := filepath.Abs(filepath.Join("..", "..", "testdata", "parquet-testing"))
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(abs, "bad_data")); err != nil {
		return "", fmt.Errorf("parquet-testing corpus missing (it ships in testdata/parquet-testing): %w", err)
	}
	return abs, nil
}
