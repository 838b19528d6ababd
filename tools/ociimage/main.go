// Command ociimage builds splitdata's container image without a container
// daemon: it compiles a static binary (CGO_ENABLED=0) and writes an OCI
// image layout (https://github.com/opencontainers/image-spec) holding one
// layer: the binary, /etc/passwd and /etc/group naming a non-root user,
// its home directory and /tmp. There is no shell and no package manager.
//
// The build is reproducible: the binary is built with -trimpath and no
// build id or VCS stamp, and every timestamp in the image is
// SOURCE_DATE_EPOCH (0 when unset), so two builds of one source tree with
// one Go toolchain give the same image digest.
//
//	go run ./tools/ociimage -out bin/image [-archive bin/splitdata-image.tar] [-arch amd64]
//
// Load it with any OCI tool: skopeo copy oci:bin/image:latest docker://REGISTRY/splitdata:TAG,
// crane push bin/image REGISTRY/splitdata:TAG, podman load -i bin/splitdata-image.tar,
// or docker load -i bin/splitdata-image.tar (Docker 25 and later).
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The image's user: not root, with the conventional "nonroot" id of
// distroless images.
const (
	uid      = 65532
	userName = "splitdata"
	home     = "/home/splitdata"
	binPath  = "usr/local/bin/splitdata"
)

// OCI media types.
const (
	mediaIndex    = "application/vnd.oci.image.index.v1+json"
	mediaManifest = "application/vnd.oci.image.manifest.v1+json"
	mediaConfig   = "application/vnd.oci.image.config.v1+json"
	mediaLayer    = "application/vnd.oci.image.layer.v1.tar+gzip"
)

func main() {
	out := flag.String("out", "bin/image", "directory to write the OCI image layout to (replaced)")
	archive := flag.String("archive", "", "also write the layout as one tar file (podman load, docker load, skopeo oci-archive:)")
	arch := flag.String("arch", runtime.GOARCH, "GOARCH of the image")
	binary := flag.String("binary", "", "use this linux binary instead of building ./cmd/splitdata")
	tag := flag.String("tag", "latest", "the image's reference name in the layout")
	src := flag.String("src", ".", "the splitdata module's root directory, to build from")
	flag.Parse()
	if err := run(*src, *out, *archive, *arch, *binary, *tag); err != nil {
		fmt.Fprintln(os.Stderr, "ociimage:", err)
		os.Exit(1)
	}
}

func run(src, out, archive, arch, binary, tag string) error {
	epoch, err := sourceDateEpoch()
	if err != nil {
		return err
	}
	if binary == "" {
		tmp, err := os.MkdirTemp("", "ociimage-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		binary = filepath.Join(tmp, "splitdata")
		if err := buildBinary(src, binary, arch); err != nil {
			return err
		}
	}
	bin, err := os.ReadFile(binary)
	if err != nil {
		return err
	}
	version, err := versionOf(binary, arch)
	if err != nil {
		return err
	}
	files, err := layout(bin, arch, version, tag, epoch)
	if err != nil {
		return err
	}
	if err := writeDir(out, files); err != nil {
		return err
	}
	if archive != "" {
		return writeArchive(archive, files, epoch)
	}
	return nil
}

// sourceDateEpoch is the time stamped on everything in the image:
// $SOURCE_DATE_EPOCH (https://reproducible-builds.org/specs/source-date-epoch/),
// or the Unix epoch.
func sourceDateEpoch() (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: want a non-negative integer", s)
	}
	return time.Unix(n, 0).UTC(), nil
}

// buildBinary builds a static splitdata for linux/arch at path, with the
// flags that make the bytes depend only on the source and the toolchain.
func buildBinary(src, path, arch string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-o", path, "./cmd/splitdata")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build: %w", err)
	}
	return nil
}

// versionOf asks the binary its version when it can run here; otherwise
// the image is labelled without one.
func versionOf(binary, arch string) (string, error) {
	if runtime.GOOS != "linux" || arch != runtime.GOARCH {
		return "", nil
	}
	b, err := exec.Command(binary, "version").Output()
	if err != nil {
		return "", fmt.Errorf("%s version: %w", binary, err)
	}
	// "splitdata 0.3.0 (algorithm 1)"
	f := strings.Fields(string(b))
	if len(f) < 2 || f[0] != "splitdata" {
		return "", fmt.Errorf("%s version: unexpected output %q", binary, b)
	}
	return f[1], nil
}

// layout returns the files of the OCI image layout, by slash-separated
// path.
func layout(bin []byte, arch, version, tag string, epoch time.Time) (map[string][]byte, error) {
	layerTar, err := rootfs(bin, epoch)
	if err != nil {
		return nil, err
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	zw.ModTime = epoch // the header's time; no name, no comment
	if _, err := zw.Write(layerTar); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	labels := map[string]string{
		"org.opencontainers.image.title":       "splitdata",
		"org.opencontainers.image.description": "Reproducible splits, samples and shuffles of large Parquet, Arrow IPC, CSV and JSON Lines files",
		"org.opencontainers.image.source":      "https://github.com/splitdata/splitdata",
		"org.opencontainers.image.created":     epoch.Format(time.RFC3339),
	}
	if version != "" {
		labels["org.opencontainers.image.version"] = version
	}
	config := map[string]any{
		"created":      epoch.Format(time.RFC3339),
		"architecture": arch,
		"os":           "linux",
		"config": map[string]any{
			"User":       fmt.Sprintf("%d:%d", uid, uid),
			"Entrypoint": []string{"/" + binPath},
			"Cmd":        []string{"--help"},
			"WorkingDir": home,
			"Env":        []string{"PATH=/usr/local/bin", "TMPDIR=/tmp", "HOME=" + home},
			"Labels":     labels,
		},
		"rootfs": map[string]any{
			"type":     "layers",
			"diff_ids": []string{digest(layerTar)},
		},
		"history": []map[string]any{{
			"created":    epoch.Format(time.RFC3339),
			"created_by": "tools/ociimage: static splitdata, a non-root user, /tmp",
		}},
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	layer := gz.Bytes()
	manifest := map[string]any{
		"schemaVersion": 2,
		"mediaType":     mediaManifest,
		"config":        descriptor(mediaConfig, configJSON),
		"layers":        []any{descriptor(mediaLayer, layer)},
		"annotations":   map[string]string{"org.opencontainers.image.created": epoch.Format(time.RFC3339)},
	}
	manifestJSON, err := json.Marshal(manifest)
	if err != nil {
		return nil, err
	}
	md := descriptor(mediaManifest, manifestJSON)
	md["annotations"] = map[string]string{"org.opencontainers.image.ref.name": tag}
	md["platform"] = map[string]string{"architecture": arch, "os": "linux"}
	index, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     mediaIndex,
		"manifests":     []any{md},
	})
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{
		"oci-layout": []byte(`{"imageLayoutVersion":"1.0.0"}`),
		"index.json": index,
	}
	for _, blob := range [][]byte{layer, configJSON, manifestJSON} {
		files["blobs/sha256/"+strings.TrimPrefix(digest(blob), "sha256:")] = blob
	}
	return files, nil
}

// rootfs returns the image's one layer, an uncompressed tar.
func rootfs(bin []byte, epoch time.Time) ([]byte, error) {
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\n%s:x:%d:%d:%s:%s:/sbin/nologin\n", userName, uid, uid, userName, home)
	group := fmt.Sprintf("root:x:0:\n%s:x:%d:\n", userName, uid)
	entries := []struct {
		name string
		mode int64
		uid  int
		data []byte // nil for a directory
	}{
		{"etc/", 0o755, 0, nil},
		{"etc/group", 0o644, 0, []byte(group)},
		{"etc/passwd", 0o644, 0, []byte(passwd)},
		{"home/", 0o755, 0, nil},
		{home[1:] + "/", 0o755, uid, nil},
		{"tmp/", 0o1777, 0, nil},
		{"usr/", 0o755, 0, nil},
		{"usr/local/", 0o755, 0, nil},
		{"usr/local/bin/", 0o755, 0, nil},
		{binPath, 0o755, 0, bin},
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Uid: e.uid, Gid: e.uid, ModTime: epoch, Format: tar.FormatPAX}
		if e.data == nil {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func descriptor(mediaType string, b []byte) map[string]any {
	return map[string]any{"mediaType": mediaType, "digest": digest(b), "size": len(b)}
}

// writeDir replaces dir with the layout's files.
func writeDir(dir string, files map[string][]byte) error {
	if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err == nil {
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	} else if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s exists and is not an OCI image layout: not replacing it", dir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for name, b := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// writeArchive writes the layout as one tar file, its entries in name
// order with fixed times and owners.
func writeArchive(path string, files map[string][]byte, epoch time.Time) error {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, dir := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return err
		}
	}
	for _, name := range names {
		b := files[name]
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(b)), ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return err
		}
		if _, err := tw.Write(b); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
