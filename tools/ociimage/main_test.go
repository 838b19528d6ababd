package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestImage builds the image twice, checks that both builds are the same
// bytes, then unpacks the layers of the one as a runtime would (no
// container runtime runs here) and runs splitdata from the unpacked root:
// its version, and a small split.
func TestImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds splitdata for the image twice; skipped with -short")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the image is linux; its binary runs only on linux")
	}
	src, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, out := range []string{a, b} {
		if err := run(src, out, out+".tar", runtime.GOARCH, "", "latest"); err != nil {
			t.Fatal(err)
		}
	}
	// Reproducible: the same digest, indeed the same files.
	ia, ib := readFile(t, a, "index.json"), readFile(t, b, "index.json")
	if !bytes.Equal(ia, ib) {
		t.Fatalf("two builds differ:\n%s\n%s", ia, ib)
	}
	if !bytes.Equal(readFile(t, dir, "a.tar"), readFile(t, dir, "b.tar")) {
		t.Fatal("two builds' archives differ")
	}

	var index struct {
		Manifests []struct {
			MediaType   string            `json:"mediaType"`
			Digest      string            `json:"digest"`
			Annotations map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	decode(t, ia, &index)
	if len(index.Manifests) != 1 || index.Manifests[0].MediaType != mediaManifest || index.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != "latest" {
		t.Fatalf("index.json: %s", ia)
	}
	var manifest struct {
		Config struct{ Digest string } `json:"config"`
		Layers []struct {
			MediaType string `json:"mediaType"`
			Digest    string `json:"digest"`
			Size      int64  `json:"size"`
		} `json:"layers"`
	}
	decode(t, blob(t, a, index.Manifests[0].Digest), &manifest)
	var config struct {
		OS, Architecture string
		Config           struct {
			User       string
			Entrypoint []string
			WorkingDir string
		} `json:"config"`
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	decode(t, blob(t, a, manifest.Config.Digest), &config)
	if config.OS != "linux" || config.Architecture != runtime.GOARCH || config.Config.User == "" ||
		strings.HasPrefix(config.Config.User, "0") || strings.HasPrefix(config.Config.User, "root") {
		t.Fatalf("config: %+v: want linux/%s and a non-root user", config, runtime.GOARCH)
	}
	if len(manifest.Layers) != len(config.RootFS.DiffIDs) || len(manifest.Layers) == 0 {
		t.Fatalf("%d layers, %d diff_ids", len(manifest.Layers), len(config.RootFS.DiffIDs))
	}

	// Unpack the layers in order into a root directory, checking each
	// against its digest, diff_id and size.
	root := filepath.Join(dir, "rootfs")
	for i, l := range manifest.Layers {
		gz := blob(t, a, l.Digest)
		if int64(len(gz)) != l.Size || l.MediaType != mediaLayer {
			t.Fatalf("layer %d: %d bytes of %s, manifest says %d of %s", i, len(gz), "?", l.Size, l.MediaType)
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if digest(plain) != config.RootFS.DiffIDs[i] {
			t.Fatalf("layer %d: diff_id %s, config says %s", i, digest(plain), config.RootFS.DiffIDs[i])
		}
		unpack(t, plain, root)
	}
	for _, shell := range []string{"bin/sh", "bin/bash", "usr/bin/sh"} {
		if _, err := os.Lstat(filepath.Join(root, shell)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the image holds a shell, /%s", shell)
		}
	}
	passwd := string(readFile(t, root, "etc/passwd"))
	user := strings.Split(config.Config.User, ":")[0]
	if !strings.Contains(passwd, ":x:"+user+":") {
		t.Errorf("user %s is not in /etc/passwd:\n%s", user, passwd)
	}

	bin := filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(config.Config.Entrypoint[0], "/")))
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "splitdata ") {
		t.Fatalf("%s version: %v: %s", bin, err, out)
	}
	work := t.TempDir()
	for _, args := range [][]string{
		{"gen", "--rows", "1000", "--files", "2", "--out", "in", "--seed", "1", "-q"},
		{"split", "in", "--out", "out", "--seed", "42", "--result-json", "result.json", "-q"},
		{"verify", "out"},
	} {
		cmd := exec.Command(bin, args...)
		cmd.Dir = work
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("splitdata %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	if !strings.Contains(string(readFile(t, work, "result.json")), `"rows": 1000`) {
		t.Fatalf("result.json: %s", readFile(t, work, "result.json"))
	}
}

// TestLayoutIsDeterministic checks, without building, that the layout is a
// function of its inputs, and that SOURCE_DATE_EPOCH is what is stamped.
func TestLayoutIsDeterministic(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	epoch, err := sourceDateEpoch()
	if err != nil || epoch.Unix() != 1700000000 {
		t.Fatalf("sourceDateEpoch = %v, %v", epoch, err)
	}
	x, err := layout([]byte("binary"), "amd64", "1.0.0", "latest", epoch)
	if err != nil {
		t.Fatal(err)
	}
	y, err := layout([]byte("binary"), "amd64", "1.0.0", "latest", epoch)
	if err != nil {
		t.Fatal(err)
	}
	z, err := layout([]byte("binary2"), "amd64", "1.0.0", "latest", epoch)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x["index.json"], y["index.json"]) || bytes.Equal(x["index.json"], z["index.json"]) {
		t.Fatalf("index.json: same inputs %v, other binary %v", bytes.Equal(x["index.json"], y["index.json"]), !bytes.Equal(x["index.json"], z["index.json"]))
	}
	if !strings.Contains(string(x["index.json"]), `"platform":{"architecture":"amd64","os":"linux"}`) {
		t.Errorf("index.json: %s", x["index.json"])
	}
	t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
	if _, err := sourceDateEpoch(); err == nil {
		t.Error("SOURCE_DATE_EPOCH=yesterday accepted")
	}
}

func readFile(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// blob reads a blob of the layout at dir and checks its digest.
func blob(t *testing.T, dir, d string) []byte {
	t.Helper()
	b := readFile(t, dir, "blobs/sha256/"+strings.TrimPrefix(d, "sha256:"))
	if digest(b) != d {
		t.Fatalf("blob %s has digest %s", d, digest(b))
	}
	return b
}

func decode(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
}

// unpack extracts a layer's regular files and directories under root.
func unpack(t *testing.T, layer []byte, root string) {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(layer))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if !filepath.IsLocal(h.Name) {
			t.Fatalf("layer entry %q outside the root", h.Name)
		}
		path := filepath.Join(root, filepath.FromSlash(h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(path, 0o755); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, os.FileMode(h.Mode).Perm()); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("layer entry %q of type %c", h.Name, h.Typeflag)
		}
	}
}
