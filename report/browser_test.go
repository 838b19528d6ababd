package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/splitdata/splitdata/internal/gendata"
	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/report"
	"github.com/splitdata/splitdata/splitter"
)

// chromium returns the path of Debian's chromium, skipping the test when
// it is missing (failing it under CI=true, whose .ci/run installs it with
// scripts/install-chromium.sh).
func chromium(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		msg := "chromium is not installed: run scripts/install-chromium.sh (Debian's chromium) to render the report in a browser"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true: a failure, not a skip)")
		}
		t.Skip(msg)
	}
	return path
}

// runChromium runs headless chromium with a fresh profile and no network
// traffic of its own, plus args, and returns its stdout.
func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return stdout.Bytes()
}

// TestReportInBrowser renders the report of a stratified 3-way split of
// 1M gen rows, written inside the split (--report), in headless Chromium:
// a screenshot, and the DOM, which must hold every section, a chart per
// column and the JSON's figures. With SPLITDATA_SCREENSHOT=path the
// screenshot is kept there (the README's picture).
func TestReportInBrowser(t *testing.T) {
	bin := chromium(t)
	if testing.Short() {
		t.Skip("-short: 1M rows")
	}
	ctx := t.Context()
	// Relative paths, so that the page's command (and the README's
	// picture) names no machine's directories.
	t.Chdir(t.TempDir())
	in := "data"
	if _, err := gendata.Write(ctx, in, gendata.Config{Rows: 1_000_000, Files: 2, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	out := "splits"
	cfg := pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "42", Stratify: "label",
		Splits: []splitter.Split{{Name: "train", Ratio: 0.8}, {Name: "valid", Ratio: 0.1}, {Name: "test", Ratio: 0.1}}}
	cfg.Attach = report.Attach(report.Options{Out: "splits"}, true, true)
	if _, err := pipeline.Split(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	r, err := report.Compute(ctx, report.Options{Dir: out})
	if err != nil {
		t.Fatal(err)
	}
	page, err := filepath.Abs(filepath.Join(out, report.HTMLName))
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(page)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report.html: %d bytes", st.Size())

	shot := filepath.Join(t.TempDir(), "report.png")
	runChromium(t, bin, "--hide-scrollbars", "--window-size=1280,2000", "--screenshot="+shot, "file://"+page)
	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	if len(png) < 20_000 || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("screenshot: %d bytes, not a PNG of a page", len(png))
	}
	if keep := os.Getenv("SPLITDATA_SCREENSHOT"); keep != "" {
		if err := os.WriteFile(keep, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	dom := string(runChromium(t, bin, "--dump-dom", "file://"+page))
	for _, id := range []string{"summary", "balance", "drift", "leakage", "columns", "reproduce", "numpy", "drift-table", "splits"} {
		if !strings.Contains(dom, `id="`+id+`"`) {
			t.Errorf("DOM: no element with id %q", id)
		}
	}
	for _, c := range r.Columns {
		block := section(t, dom, `<div class="column" id="col-`+c.Name+`"`)
		if !strings.Contains(block, `<svg class="chart`) {
			t.Errorf("column %s: no chart", c.Name)
		}
		for _, s := range c.Splits {
			if s.Mean != nil && !strings.Contains(block, `data-v="`+strconv.FormatFloat(*s.Mean, 'g', -1, 64)+`"`) {
				t.Errorf("column %s, %s: mean %v not in the DOM", c.Name, s.Split, *s.Mean)
			}
			if !strings.Contains(block, `data-v="`+strconv.FormatFloat(s.NullRate, 'g', -1, 64)+`"`) {
				t.Errorf("column %s, %s: null rate %v not in the DOM", c.Name, s.Split, s.NullRate)
			}
		}
	}
	splits := section(t, dom, `<table id="splits">`)
	for _, s := range r.Splits {
		if !strings.Contains(splits, `<td class="l">`+s.Name+`</td><td data-v="`+strconv.FormatInt(s.Rows, 10)+`">`) {
			t.Errorf("split %s: %d rows not in the summary table", s.Name, s.Rows)
		}
	}
	balance := section(t, dom, `<table id="balance-table">`)
	for _, s := range r.Label.Splits {
		for _, n := range s.Counts {
			if !strings.Contains(balance, `data-v="`+strconv.FormatInt(n, 10)+`"`) {
				t.Errorf("label balance of %s: %d not in the DOM", s.Split, n)
			}
		}
	}
	if !strings.Contains(dom, `id="leak-rows" data-v="0"`) {
		t.Error("DOM: leaked rows are not 0")
	}
	// The JSON of the page's run and of report --json agree on every
	// figure but the command line.
	b, _ := json.Marshal(r)
	if !bytes.Contains(b, []byte(`"reproduce":"splitdata split `)) {
		t.Errorf("JSON: no reproducing command")
	}
}

// section returns the part of dom from the first occurrence of start to
// the next closing tag of the same depth, roughly: up to the next
// occurrence of a sibling start or 64 KiB.
func section(t *testing.T, dom, start string) string {
	t.Helper()
	i := strings.Index(dom, start)
	if i < 0 {
		t.Errorf("DOM: %s not found", start)
		return ""
	}
	rest := dom[i+len(start):]
	end := len(rest)
	if j := regexp.MustCompile(`<div class="column" id=|</section>`).FindStringIndex(rest); j != nil {
		end = j[0]
	}
	return rest[:end]
}
