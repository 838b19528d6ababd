package splitbeam

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
)

// TestMain runs the pipelines of the tests on Prism, Beam's local runner,
// unless --runner says otherwise.
func TestMain(m *testing.M) {
	code := ptest.MainRet(m)
	if cli.path != "" {
		os.RemoveAll(filepath.Dir(cli.path))
	}
	if bigJob.dir != "" {
		os.RemoveAll(bigJob.dir)
	}
	os.Exit(code)
}

var cli struct {
	once sync.Once
	path string
	err  error
}

// splitdata returns the path of the splitdata command built from this
// checkout (the module the replace directive points at), once per test
// binary, in a temporary directory TestMain removes.
func splitdata(t *testing.T) string {
	t.Helper()
	cli.once.Do(func() {
		dir, err := os.MkdirTemp("", "splitbeam-cli-")
		if err != nil {
			cli.err = err
			return
		}
		cli.path = filepath.Join(dir, "splitdata")
		cmd := exec.Command("go", "build", "-o", cli.path, "./cmd/splitdata")
		cmd.Dir = ".." // the splitdata module
		if out, err := cmd.CombinedOutput(); err != nil {
			cli.err = fmt.Errorf("go build splitdata: %v\n%s", err, out)
		}
	})
	if cli.err != nil {
		t.Fatal(cli.err)
	}
	return cli.path
}

// run runs the splitdata command with args and fails the test on an error.
func run(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command(splitdata(t), args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("splitdata %v: %v\n%s", args, err, out.String())
	}
	return out.String()
}
