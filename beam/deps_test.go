package splitbeam

import (
	"os/exec"
	"strings"
	"testing"
)

// encoders are the modules whose code makes splitdata's output bytes: the
// Parquet and Arrow encoders and the compression codecs.
var encoders = []string{
	"github.com/parquet-go/parquet-go",
	"github.com/apache/arrow-go/v18",
	"github.com/klauspost/compress",
	"github.com/andybalholm/brotli",
	"github.com/pierrec/lz4/v4",
}

// TestSameEncoders checks that this module builds splitdata with the
// encoder versions the splitdata module pins: Beam requires newer versions
// of some, which would give SplitFiles other bytes than the CLI's on the
// day one of them changes its output. go.mod's replace directives hold
// them back.
func TestSameEncoders(t *testing.T) {
	versions := func(dir string) map[string]string {
		t.Helper()
		args := append([]string{"list", "-m", "-f", "{{.Path}} {{.Version}}{{with .Replace}} {{.Version}}{{end}}"}, encoders...)
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -m in %s: %v", dir, err)
		}
		v := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			f := strings.Fields(line)
			v[f[0]] = f[len(f)-1] // the replacement's version, if any
		}
		return v
	}
	main, here := versions(".."), versions(".")
	for _, m := range encoders {
		if main[m] == "" || main[m] != here[m] {
			t.Errorf("%s: %q here, %q in the splitdata module; add a replace directive to go.mod", m, here[m], main[m])
		}
	}
}
