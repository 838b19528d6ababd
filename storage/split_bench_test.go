package storage_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3afero"
	"github.com/spf13/afero"

	"github.com/splitdata/splitdata/internal/gendata"
	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/storage"
)

// The split benchmark of issue 17: the same split of generated rows read
// from local files and written to a local directory, and read from and
// written to an S3 server on loopback. The server (gofakes3 on its
// on-disk backend) runs in a process of its own, this test binary started
// again with serveS3Env set, so that the client's CPU and peak RSS are
// measured apart from the server's. Knobs, from the environment:
//
//	SPLITDATA_BENCH_ROWS  rows of the input (default 200000)
//	SPLITDATA_BENCH_FILES input files (default 8)
//	SPLITDATA_BENCH_DIR   where the input and the server's bucket live
//	                      (default: a temporary directory, removed at exit)
//	SPLITDATA_BENCH_S3    what the "s3" variant takes from the server:
//	                      both (default), read (objects to a local
//	                      directory) or write (local files to objects)
//	SPLITDATA_BENCH_S3_CPUPROFILE  a file for the server's CPU profile
//	SPLITDATA_BENCH_INPUT a directory of Parquet files to split instead
//	                      of generated rows (the peers shapes, written
//	                      by DuckDB or Polars); ROWS and FILES are then
//	                      ignored
//
// benchmarks/storage.sh runs it and writes the results file.
const (
	serveS3Env   = "SPLITDATA_BENCH_S3_SERVE"
	benchBucket  = "bench"
	benchSeed    = 42
	benchRowsEnv = "SPLITDATA_BENCH_ROWS"
	// serveProfileEnv names a file the server writes its CPU profile to,
	// to tell its share of a run from the client's.
	serveProfileEnv = "SPLITDATA_BENCH_S3_CPUPROFILE"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(serveS3Env); dir != "" {
		if err := serveS3(dir); err != nil {
			fmt.Fprintln(os.Stderr, "S3 server:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	benchEnv.cleanup()
	os.Exit(code)
}

// serveS3 serves a gofakes3 server storing its objects under dir, on a
// free loopback port it prints as a URL on standard output, until its
// standard input closes (the benchmark's process ended).
func serveS3(dir string) error {
	be, err := s3afero.MultiBucket(afero.NewBasePathFs(afero.NewOsFs(), dir))
	if err != nil {
		return err
	}
	if ok, _ := be.BucketExists(benchBucket); !ok {
		if err := be.CreateBucket(benchBucket); err != nil {
			return err
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: gofakes3.New(be, gofakes3.WithLogger(gofakes3.DiscardLog())).Server()}
	if prof := os.Getenv(serveProfileEnv); prof != "" {
		f, err := os.Create(prof)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	go func() {
		io.Copy(io.Discard, os.Stdin)
		srv.Close()
	}()
	fmt.Printf("http://%s\n", l.Addr())
	if err := srv.Serve(l); err != http.ErrServerClosed {
		return err
	}
	return nil
}

// benchSetup is the input and the server, made once per process and
// shared by every run of the benchmark (-count).
type benchSetup struct {
	once  sync.Once
	err   error
	dir   string // removed at exit when made here (temp)
	temp  bool
	paths []string // the input files
	bytes int64
	loc   storage.Location // the bucket, with the server's endpoint
	srv   *exec.Cmd
	stdin io.WriteCloser // closing it stops the server
}

var benchEnv benchSetup

func (e *benchSetup) cleanup() {
	if e.stdin != nil {
		e.stdin.Close()
		e.srv.Wait()
	}
	if e.temp {
		os.RemoveAll(e.dir)
	}
}

func envInt(name string, def int64) (int64, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(v, "_", ""), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive integer", name, v)
	}
	return n, nil
}

// setupBench generates the input (reused when SPLITDATA_BENCH_DIR holds
// it for the same rows and files), starts the server and uploads the
// input to it.
func setupBench(ctx context.Context) error {
	rows, err := envInt(benchRowsEnv, 200_000)
	if err != nil {
		return err
	}
	files, err := envInt("SPLITDATA_BENCH_FILES", 8)
	if err != nil {
		return err
	}
	e := &benchEnv
	e.dir = os.Getenv("SPLITDATA_BENCH_DIR")
	if e.dir == "" {
		if e.dir, err = os.MkdirTemp("", "splitdata-bench-"); err != nil {
			return err
		}
		e.temp = true
	}
	in := filepath.Join(e.dir, fmt.Sprintf("gen-%d-%d", rows, files))
	given := os.Getenv("SPLITDATA_BENCH_INPUT")
	if given != "" {
		in = given
	}
	stamp := filepath.Join(in, ".complete")
	if _, err := os.Stat(stamp); err != nil && given == "" {
		os.RemoveAll(in)
		if _, err := gendata.Write(ctx, in, gendata.Config{Rows: rows, Files: int(files), Seed: 1}); err != nil {
			return err
		}
		if err := os.WriteFile(stamp, nil, 0o644); err != nil {
			return err
		}
	}
	if e.paths, err = filepath.Glob(filepath.Join(in, "*.parquet")); err != nil || len(e.paths) == 0 {
		return fmt.Errorf("no input in %s: %v", in, err)
	}
	for _, p := range e.paths {
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		e.bytes += st.Size()
	}

	// The server, its bucket in a fresh directory.
	root := filepath.Join(e.dir, "s3")
	os.RemoveAll(root)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	e.srv = exec.Command(os.Args[0], "-test.run=^$")
	e.srv.Env = append(os.Environ(), serveS3Env+"="+root)
	e.srv.Stderr = os.Stderr
	e.srv.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := e.srv.StdoutPipe()
	if err != nil {
		return err
	}
	if e.stdin, err = e.srv.StdinPipe(); err != nil {
		return err
	}
	if err := e.srv.Start(); err != nil {
		return err
	}
	url, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return fmt.Errorf("S3 server did not start: %w", err)
	}
	go io.Copy(io.Discard, out)
	if e.loc, err = storage.Parse("s3://" + benchBucket + "/?endpoint=" + strings.TrimSpace(url) + "&use_path_style=true&region=us-east-1"); err != nil {
		return err
	}
	s, err := storage.Open(ctx, e.loc, storage.Options{})
	if err != nil {
		return err
	}
	for _, p := range e.paths {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		w := s.Create(ctx, "in/"+filepath.Base(p))
		_, err = io.Copy(w, f)
		f.Close()
		if err == nil {
			err = w.Close()
		}
		if err != nil {
			return fmt.Errorf("upload %s: %w", p, err)
		}
	}
	return nil
}

// localSums are the SHA-256 of the outputs of the last local split.
var localSums []string

// outputSums returns the SHA-256 of the files of m's splits, in order.
func outputSums(m *pipeline.Manifest) []string {
	var sums []string
	for _, sp := range m.Splits {
		for _, f := range sp.Files {
			sums = append(sums, f.SHA256)
		}
	}
	return sums
}

// BenchmarkSplitStore times one 80/20 split (exact, the CLI's memory
// bounds) of the generated input, local files to a local directory
// ("local") and objects to objects on the loopback S3 server ("s3"),
// run one after the other in each round so that -count interleaves them.
// Beyond ns/op it reports CPU seconds, peak RSS and, for s3, the server's
// CPU seconds, the requests by kind and the bytes fetched against the
// bytes the engine asked for.
func BenchmarkSplitStore(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("peak RSS is read from /proc (Linux)")
	}
	benchIsolateEnv(b)
	benchEnv.once.Do(func() { benchEnv.err = setupBench(context.Background()) })
	if benchEnv.err != nil {
		b.Fatal(benchEnv.err)
	}
	seed, err := prng.SeedOf(benchSeed)
	if err != nil {
		b.Fatal(err)
	}
	config := func() pipeline.SplitConfig {
		cfg := pipeline.SplitConfig{Seed: seed}
		cfg.OnBudget = pipeline.GoMemoryLimit(cfg.JobOptions)
		return cfg
	}
	run := 0
	b.Run("local", func(b *testing.B) {
		b.SetBytes(benchEnv.bytes)
		var cpu time.Duration
		var peak int64
		for b.Loop() {
			b.StopTimer()
			run++
			out := filepath.Join(benchEnv.dir, fmt.Sprintf("out-local-%d", run))
			if err := resetPeakRSS(); err != nil {
				b.Fatal(err)
			}
			c0 := cpuTime()
			b.StartTimer()
			cfg := config()
			cfg.Inputs = benchEnv.paths
			cfg.Out = out
			m, err := pipeline.Split(b.Context(), cfg)
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			localSums = outputSums(m)
			cpu += cpuTime() - c0
			p, err := peakRSS()
			if err != nil {
				b.Fatal(err)
			}
			peak = max(peak, p)
			if err := os.RemoveAll(out); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
		b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
	})
	b.Run("s3", func(b *testing.B) {
		b.SetBytes(benchEnv.bytes)
		var cpu, srvCPU time.Duration
		var peak, asked int64
		var st, total [8]int64 // GET PUT LIST HEAD COPY DELETE retries fetched
		for b.Loop() {
			b.StopTimer()
			run++
			if err := resetPeakRSS(); err != nil {
				b.Fatal(err)
			}
			c0 := cpuTime()
			s0, err := serverCPU()
			if err != nil {
				b.Fatal(err)
			}
			var askedNow atomic.Int64
			b.StartTimer()
			s, err := storage.Open(b.Context(), benchEnv.loc, storage.Options{})
			if err != nil {
				b.Fatal(err)
			}
			objs, err := s.Glob(b.Context(), "in/*.parquet")
			if err != nil {
				b.Fatal(err)
			}
			cfg := config()
			var opened []*storage.Object
			for _, info := range objs {
				o := s.OpenInfo(b.Context(), info)
				opened = append(opened, o)
				cfg.Sources = append(cfg.Sources, pipeline.ReaderAtInput(o.Name(), countingReader{o, &askedNow}, o.Size()))
			}
			prefix := fmt.Sprintf("out/%d/", run)
			switch mode := os.Getenv("SPLITDATA_BENCH_S3"); mode {
			case "read":
				cfg.Out = filepath.Join(benchEnv.dir, fmt.Sprintf("out-read-%d", run))
				m, err := pipeline.Split(b.Context(), cfg)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				// The same split of the same bytes, from objects: the
				// same output bytes.
				if got := outputSums(m); localSums != nil && !slices.Equal(got, localSums) {
					b.Fatalf("outputs read from objects differ from those read from local files: SHA-256 %v, want %v", got, localSums)
				}
				if err := os.RemoveAll(cfg.Out); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			case "", "both", "write":
				if mode == "write" {
					cfg.Sources, cfg.Inputs = nil, benchEnv.paths
				}
				out, err := s.NewOutput(b.Context(), prefix, storage.OutputOptions{})
				if err != nil {
					b.Fatal(err)
				}
				m, err := pipeline.SplitTo(b.Context(), cfg, out)
				if err != nil {
					b.Fatal(err)
				}
				if got := outputSums(m); localSums != nil && !slices.Equal(got, localSums) {
					b.Fatalf("outputs written to objects differ from those written locally: SHA-256 %v, want %v", got, localSums)
				}
			default:
				b.Fatalf("SPLITDATA_BENCH_S3=%q: want both, read or write", mode)
			}
			for _, o := range opened {
				o.Close()
			}
			b.StopTimer()
			cpu += cpuTime() - c0
			s1, err := serverCPU()
			if err != nil {
				b.Fatal(err)
			}
			srvCPU += s1 - s0
			p, err := peakRSS()
			if err != nil {
				b.Fatal(err)
			}
			peak = max(peak, p)
			sts := s.Stats()
			st = [8]int64{sts.Get.Load(), sts.Put.Load(), sts.List.Load(), sts.Stat.Load(), sts.Copy.Load(), sts.Delete.Load(), sts.Retries.Load(), sts.BytesRead.Load()}
			for i := range st {
				total[i] += st[i]
			}
			asked += askedNow.Load()
			// Remove the output with a store of its own, so its requests
			// are not counted.
			rm, err := storage.Open(b.Context(), benchEnv.loc, storage.Options{})
			if err != nil {
				b.Fatal(err)
			}
			left, err := rm.List(b.Context(), prefix)
			if err != nil {
				b.Fatal(err)
			}
			for _, o := range left {
				if err := rm.Remove(b.Context(), o.Key); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
		}
		n := float64(b.N)
		b.ReportMetric(cpu.Seconds()/n, "cpu-s/op")
		b.ReportMetric(srvCPU.Seconds()/n, "server-cpu-s/op")
		b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
		for i, name := range []string{"GET", "PUT", "LIST", "HEAD", "COPY", "DELETE", "retries"} {
			b.ReportMetric(float64(total[i])/n, name+"/op")
		}
		b.ReportMetric(float64(total[7])/n/1e6, "MB-fetched/op")
		if asked > 0 {
			b.ReportMetric(float64(total[7])/float64(asked), "fetched/asked")
		}
	})
}
