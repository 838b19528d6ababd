package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/internal/gendata"
)

var updateRecording = flag.Bool("update-recording", false, "rewrite testdata/progress_recording.golden from the runs of TestProgressRecording")

// recordingGolden holds what TestProgressRecording saw, masked.
var recordingGolden = filepath.Join("testdata", "progress_recording.golden")

// TestProgressRecording runs splitdata on 10M generated rows in a terminal
// (a pseudo-terminal made by script(1), the way a person runs it) and
// records every frame drawn on stderr. The frames are masked (numbers,
// times, the bar's fill, the spinner, the label's notes: what depends on
// the machine's speed) and repeated frames dropped, which leaves what a
// person reads at each moment of the run: which command, which phase, a
// bar or a spinner. Each phase draws its first frame when it begins, so
// none is missed however loaded the machine; no timing is asserted. Every
// frame, unmasked, must also keep its bar's count within its total.
//
// It takes minutes on a small machine: it runs with make test-progress
// (SPLITDATA_RECORDING=1), never under -short.
func TestProgressRecording(t *testing.T) {
	if testing.Short() || os.Getenv("SPLITDATA_RECORDING") == "" {
		t.Skip("10M rows in a terminal: set SPLITDATA_RECORDING=1 (make test-progress)")
	}
	script, err := exec.LookPath("script")
	if err != nil {
		t.Fatal("script(1) not found: install util-linux (Debian: bsdutils)")
	}
	work := t.TempDir()
	if _, err := gendata.Write(t.Context(), filepath.Join(work, "in"), gendata.Config{Rows: 10_000_000, Files: 4, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	runs := []struct {
		name string
		args string
	}{
		{"shuffle", "shuffle in --out shuffled --seed 1"},
		{"split --stratify", "split in --out stratified --seed 1 --stratify label --ratios train=0.8,valid=0.1,test=0.1"},
	}
	var golden strings.Builder
	golden.WriteString("# TestProgressRecording: what stderr shows in a terminal, frame by frame, on 10M\n" +
		"# rows; numbers are N, times T, the bar's fill and the label's notes masked.\n")
	for _, r := range runs {
		rec := filepath.Join(work, "typescript")
		// stty: a terminal wide enough for the whole bar; stdout (the
		// summary) is not part of the recording.
		cmd := exec.CommandContext(t.Context(), script, "-q", "-e", "-c",
			fmt.Sprintf("stty cols 200 rows 24; exec %q %s >/dev/null", os.Args[0], r.args), rec)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "SPLITDATA_TEST_MAIN=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("splitdata %s: %v\n%s", r.args, err, out)
		}
		data, err := os.ReadFile(rec)
		if err != nil {
			t.Fatal(err)
		}
		frames := terminalFrames(data)
		for _, f := range frames {
			if err := checkFrame(f); err != nil {
				t.Errorf("%s: %v", r.name, err)
			}
		}
		fmt.Fprintf(&golden, "\n$ splitdata %s\n", r.args)
		for _, f := range maskFrames(frames) {
			golden.WriteString(f + "\n")
		}
	}
	got := golden.String()
	if *updateRecording {
		if err := os.WriteFile(recordingGolden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(recordingGolden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("the recording differs from %s (-update-recording rewrites it):\n%s", recordingGolden, got)
	}
}

var (
	// ansiEscape is a terminal control sequence: a clear, a cursor move.
	ansiEscape = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)
	// countRe is a bar's count, (done/total.
	countRe = regexp.MustCompile(`\((\d+)/(\d+)`)
)

// terminalFrames cuts what a terminal received into the frames drawn: a
// progress line is redrawn after a carriage return, cleared with spaces or
// an escape sequence. script(1)'s own header and footer are left out.
func terminalFrames(data []byte) []string {
	text := ansiEscape.ReplaceAllString(string(data), "")
	var frames []string
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return r == '\r' || r == '\n' }) {
		f = strings.TrimSpace(f)
		if f == "" || strings.HasPrefix(f, "Script started") || strings.HasPrefix(f, "Script done") {
			continue
		}
		frames = append(frames, f)
	}
	return frames
}

// checkFrame checks what a frame claims on its own: a bar's count within
// its total, and no rate beyond what any machine does (the first frames'
// rates once read 27876588022 rows/s).
func checkFrame(f string) error {
	if m := countRe.FindStringSubmatch(f); m != nil {
		var done, total int64
		fmt.Sscan(m[1], &done)
		fmt.Sscan(m[2], &total)
		if done > total {
			return fmt.Errorf("frame counts %d of %d: %q", done, total, f)
		}
	}
	if strings.Contains(f, "G rows/s") || regexp.MustCompile(`\d{5,}(\.\d)?[kM]? rows/s`).MatchString(f) {
		return fmt.Errorf("frame shows an impossible rate: %q", f)
	}
	return nil
}

// frameMasks replace, in order, what depends on the machine's speed.
var frameMasks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`[\x{2800}-\x{28FF}]`), "*"},         // the spinner
	{regexp.MustCompile(` \([^()]*(rows/s|iB)[^()]*\)`), ""}, // the label's notes: rate, bytes
	{regexp.MustCompile(`\|[^|]*\|`), "|bar|"},               // the bar's fill
	{regexp.MustCompile(`\[[0-9hms.:]*\]`), "[T]"},           // elapsed and left
	{regexp.MustCompile(`\d+`), "N"},
	{regexp.MustCompile(` +`), " "},
}

// maskFrames masks each frame and drops each that repeats the one before.
func maskFrames(frames []string) []string {
	var out []string
	for _, f := range frames {
		for _, m := range frameMasks {
			f = m.re.ReplaceAllString(f, m.with)
		}
		if len(out) == 0 || out[len(out)-1] != f {
			out = append(out, f)
		}
	}
	return out
}

// TestMaskFrames checks the masks on frames as the bar draws them: the
// frames of one phase become one line whatever the numbers and notes.
func TestMaskFrames(t *testing.T) {
	rec := []byte("Script started on 2026-12-06 [COMMAND=\"x\"]\r\n" +
		"\r\u280b shuffle: opening inputs  [0s]\r     \r" +
		"shuffle: reading and spilling   0% |                              | (0/10000000) [0s:0s]\r" +
		"\x1b[2K\rshuffle: reading and spilling (13 MiB)   1% |                              | (163840/10000000) [0s:56s]" +
		"\rshuffle: reading and spilling (531.7k rows/s, 142 MiB)  19% |█████                         | (1925120/10000000) [3s:13s]" +
		"\r\u2819 shuffle: ordering (892 MiB)  [1m2s]\r" +
		"Script done on 2026-12-06 [COMMAND_EXIT_CODE=\"0\"]\r\n")
	frames := terminalFrames(rec)
	if len(frames) != 5 {
		t.Fatalf("%d frames, want 5: %q", len(frames), frames)
	}
	got := strings.Join(maskFrames(frames), "\n")
	want := "* shuffle: opening inputs [T]\n" +
		"shuffle: reading and spilling N% |bar| (N/N) [T]\n" +
		"* shuffle: ordering [T]"
	if got != want {
		t.Errorf("masked:\n%s\nwant:\n%s", got, want)
	}
	for _, tt := range []struct {
		frame string
		ok    bool
	}{
		{"shuffle: writing   2% |  | (262144/10000000) [2s:1m17s]", true},
		{"shuffle: writing   2% |  | (10000001/10000000) [2s:1m17s]", false},
		{"shuffle: writing (27876588022 rows/s)  2% |  | (262144/10000000) [0s:0s]", false},
		{"shuffle: writing (27876.6M rows/s)  2% |  | (262144/10000000) [0s:0s]", false},
		{"shuffle: writing (5.0M rows/s)  2% |  | (262144/10000000) [1s:3s]", true},
	} {
		if err := checkFrame(tt.frame); (err == nil) != tt.ok {
			t.Errorf("checkFrame(%q) = %v, want ok %v", tt.frame, err, tt.ok)
		}
	}
}
