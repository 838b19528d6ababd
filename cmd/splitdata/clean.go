package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/storage"
)

func newCleanCmd(stdout io.Writer, log *logger) *cobra.Command {
	var force, quiet bool
	var tempDir string
	cmd := &cobra.Command{
		Use:   "clean [DIR] [--temp-dir TEMP]",
		Short: "Remove what interrupted runs left beside an output (staging files, open uploads, a dead run's lock)",
		Long: `Clean puts right what runs killed while writing the output DIR (a local
directory or a bucket prefix s3://, gs://, az://) left beside it, as the next run
on DIR does by itself: it takes DIR's lock, finishes a commit that had passed its
commit point, aborts the uploads killed runs left open (S3), removes staging
files (GCS, local directories) and releases the lock. The output itself,
committed or not, is not touched.

A bucket output's lock is taken over once its run stopped refreshing it for two
minutes, or at once when that run was on this machine and its process is gone;
--force takes it over whatever its age (make sure no run is writing DIR). A
local directory's lock is released by the system when its process dies.

With --temp-dir TEMP (a local directory or a bucket prefix), clean removes the
temporary files killed runs left in TEMP, as the next run given --temp-dir TEMP
does by itself; a live run's are left alone. A bucket DIR is also cleaned of the
temporary files of runs that were given it as their --temp-dir.`,
		Example: `  splitdata clean splits
  splitdata clean s3://bucket/splits --force
  splitdata clean --temp-dir s3://bucket/tmp`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 || (len(args) == 0 && tempDir == "") {
				return usagef("clean takes one output directory, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var locs locations
			defer locs.release(context.WithoutCancel(ctx))
			if tempDir != "" {
				loc, err := parseLocation("--temp-dir", tempDir)
				if err != nil {
					return err
				}
				if _, err := os.Lstat(loc.Path()); loc.IsLocal() && errors.Is(err, fs.ErrNotExist) {
					// Unlike a missing DIR, most likely a mistyped
					// name of a directory that does exist.
					return fmt.Errorf("--temp-dir %s: no such directory", bareURL(loc))
				}
				if err := locs.cleanTemp(ctx, loc, force); err != nil {
					return err
				}
				if !quiet {
					if _, err := fmt.Fprintf(stdout, "cleaned %s: no temporary files of a killed run remain in it\n", bareURL(loc)); err != nil {
						return err
					}
				}
				if len(args) == 0 {
					return nil
				}
			}
			loc, err := parseLocation("DIR", args[0])
			if err != nil {
				return err
			}
			missing := false
			if loc.IsLocal() {
				var leftovers bool
				if missing, leftovers = besideMissing(loc.Path()); missing && !leftovers {
					// Nothing to lock or put right: taking the lock
					// would create DIR's parent directories.
					if quiet {
						return nil
					}
					_, err := fmt.Fprintf(stdout, "nothing to clean: %s does not exist, and no run left anything beside it\n", bareURL(loc))
					return err
				}
				// Opening the directory as an output locks it and puts
				// right what an interrupted run left; aborting it
				// releases the lock and touches nothing else.
				out, err := pipeline.OpenLocalDir(loc.Path(), true)
				if err != nil {
					return err
				}
				if err := out.Abort(ctx); err != nil {
					return err
				}
			} else {
				s, err := locs.store(ctx, loc)
				if err != nil {
					return err
				}
				var leftovers bool
				if missing, leftovers, err = bucketBesideMissing(ctx, s, loc.Key); err != nil {
					return err
				}
				// What only the store sees (uploads left open without
				// an object to show for them) it reports by a notice.
				var notices atomic.Int64
				notice := func(msg string) { notices.Add(1); pipeline.Notice(msg) }
				opts := storage.OutputOptions{Notice: notice}
				if force {
					opts.LockTTL = time.Nanosecond
				}
				if err := s.Clean(ctx, loc.Key, opts); err != nil {
					return err
				}
				if err := locs.cleanTemp(ctx, loc, force); err != nil {
					return err
				}
				if missing && !leftovers && notices.Load() == 0 {
					if quiet {
						return nil
					}
					_, err := fmt.Fprintf(stdout, "nothing to clean: %s does not exist, and no run left anything beside it\n", bareURL(loc))
					return err
				}
				if missing {
					// A commit the clean finished may have published it.
					if missing, _, err = bucketBesideMissing(ctx, s, loc.Key); err != nil {
						return err
					}
				}
			}
			if quiet {
				return nil
			}
			if _, err := os.Lstat(loc.Path()); missing && (!loc.IsLocal() || errors.Is(err, fs.ErrNotExist)) {
				_, err = fmt.Fprintf(stdout, "cleaned %s, which does not exist: nothing an interrupted run left remains beside it\n", bareURL(loc))
				return err
			}
			_, err = fmt.Fprintf(stdout, "cleaned %s: nothing an interrupted run left remains beside it\n", bareURL(loc))
			return err
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "take over a bucket output's lock (or, with --temp-dir, a bucket run's temporary files' lock) however recently its run refreshed it")
	cmd.Flags().StringVar(&tempDir, "temp-dir", "", "also remove what killed runs left in this --temp-dir (a local directory or a bucket prefix)")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print nothing but errors")
	return cmd
}

// besideMissing reports whether the local output directory dir does not
// exist and, if so, whether anything a run leaves beside an output is
// there: its lock (.DIR.lock), staging directories (.DIR.tmp-N) or an old
// output set aside (.DIR.old-N), which clean must still put right.
func besideMissing(dir string) (missing, leftovers bool) {
	if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
		return false, false
	}
	parent, base := filepath.Split(filepath.Clean(dir))
	entries, err := os.ReadDir(cmp.Or(parent, "."))
	if err != nil {
		// No parent: nothing beside. Unreadable: let the lock say why.
		return true, !errors.Is(err, fs.ErrNotExist)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "."+base+".") {
			return true, true
		}
	}
	return true, false
}

// bucketBesideMissing is [besideMissing] for a bucket output prefix key:
// whether no object lies under key/ and, if so, whether anything a run
// leaves beside an output is there: an object whose key starts with
// .BASE. beside it, as those of a run's area .BASE.splitdata/ (lock,
// commit record, staging markers) do. The bucket's root always exists.
// It lists every object of an output that exists, as opening it as an
// output does.
func bucketBesideMissing(ctx context.Context, s *storage.Store, key string) (missing, leftovers bool, err error) {
	key = strings.Trim(key, "/")
	if key == "" {
		return false, false, nil
	}
	in, err := s.List(ctx, key+"/")
	if err != nil || len(in) > 0 {
		return false, false, err
	}
	dir, base := path.Split(key)
	beside, err := s.List(ctx, dir+"."+base+".")
	if err != nil {
		return false, false, err
	}
	return true, len(beside) > 0, nil
}
