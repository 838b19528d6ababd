package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestComingFromCommands runs every splitdata command of
// docs/coming-from.md on a small generated dataset, so that the page
// names only flags that exist and combinations that work.
func TestComingFromCommands(t *testing.T) {
	page, err := os.ReadFile(filepath.Join("..", "..", "docs", "coming-from.md"))
	if err != nil {
		t.Fatal(err)
	}
	commands := regexp.MustCompile("`(splitdata [^`]+)`").FindAllStringSubmatch(string(page), -1)
	if len(commands) < 30 {
		t.Fatalf("found %d splitdata commands in docs/coming-from.md, want at least 30", len(commands))
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	var stdout, stderr bytes.Buffer
	// 10000 rows: the page's --sizes train=8000,test=2000 --compat torch
	// needs the lengths to sum to n.
	if code := run(context.Background(), []string{"gen", "--rows", "10000", "--files", "2", "--row-group-rows", "3000", "--out", data, "-q"}, &stdout, &stderr); code != 0 {
		t.Fatalf("gen: exit %d: %s", code, stderr.String())
	}
	if err := os.Mkdir(filepath.Join(dir, "scratch"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i, c := range commands {
		args := strings.Fields(c[1])[1:]
		if len(args) == 0 || strings.HasPrefix(args[0], "-") {
			continue // a flag shown on its own
		}
		for j, a := range args {
			switch {
			case a == "data/":
				args[j] = data
			case a == "/scratch":
				args[j] = filepath.Join(dir, "scratch")
			case j > 0 && args[j-1] == "--out":
				args[j] = filepath.Join(dir, fmt.Sprint("out", i))
			}
		}
		stdout.Reset()
		stderr.Reset()
		if args[0] != "explain" {
			args = append(args, "-q")
		}
		if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
			t.Errorf("%s: exit %d: %s", c[1], code, stderr.String())
		}
	}
}
