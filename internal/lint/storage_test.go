package lint_test

import (
	"os/exec"
	"strings"
	"testing"
)

// cloudSDKs are the module paths of the clouds' client libraries, which
// only storage (and the command line through it) may link: a Go program
// importing the library packages must not pull them in (about 50 MB of
// binary and minutes of build).
var cloudSDKs = []string{
	"github.com/aws/", "cloud.google.com/go/storage", "google.golang.org/api/",
	"github.com/Azure/", module + "/storage",
}

// TestLibraryLinksNoCloudSDK lists every package the library packages
// depend on, transitively (go list -deps), and fails on a cloud SDK or on
// storage among them: bucket support stays in cmd/splitdata's glue.
func TestLibraryLinksNoCloudSDK(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	pkgs := []string{module + "/pipeline", module + "/sources", module + "/sinks", module + "/splitter", module + "/prng", module + "/report"}
	out, err := exec.Command("go", append([]string{"list", "-deps", "-f", "{{.ImportPath}}"}, pkgs...)...).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, sdk := range cloudSDKs {
			if strings.HasPrefix(dep, sdk) || dep == strings.TrimSuffix(sdk, "/") {
				t.Errorf("the library links %s: keep object storage in storage and cmd/splitdata", dep)
			}
		}
	}
}
