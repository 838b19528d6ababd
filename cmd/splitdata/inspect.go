package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/sources"
)

func newInspectCmd(stdout io.Writer) *cobra.Command {
	var jsonOut bool
	var memory string
	var f splitFlags
	cmd := &cobra.Command{
		Use:   "inspect FILE...",
		Short: "Show the schema, rows, row groups, compression and size of input files",
		Long: `Inspect opens the given input files (files, directories, or globs; Parquet,
Arrow IPC, CSV or JSON Lines, read as split reads them) and prints, for each,
its format, rows, units (Parquet row groups, Arrow record batches, CSV and
JSON Lines chunks of at most 65536 records or about 4 MiB), size and per
column its type. For Parquet, only the footer is read,
and it also shows the writer and per column the compression codecs and the
compressed and uncompressed sizes. --json prints the same as JSON.`,
		Example: `  splitdata inspect data/
  splitdata inspect splits/train/part-00000.parquet --json
  splitdata inspect 's3://bucket/data/*.parquet'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("inspect needs at least one FILE")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := f.inputOptions()
			if err != nil {
				return err
			}
			budget, _, err := memoryBudget(memory)
			if err != nil {
				return err
			}
			var locs locations
			defer locs.release(context.WithoutCancel(cmd.Context()))
			reports, err := locs.inspect(cmd.Context(), args, opts, budget)
			if err != nil {
				return err
			}
			if jsonOut {
				return printJSON(stdout, reports)
			}
			return printInspect(stdout, reports)
		},
	}
	cmd.Flags().StringVar(&memory, "memory", "", "memory budget of the whole process: a Parquet footer taking more than half of it decoded is refused; less an eighth of it (at most 32MiB) for the process's baseline, also the Go runtime's soft limit unless GOMEMLIMIT is set (default 240MiB)")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the report as JSON")
	f.addInputFlags(cmd.Flags())
	return cmd
}

func printInspect(w io.Writer, reports []pipeline.FileReport) error {
	for i, r := range reports {
		if i > 0 {
			fmt.Fprintln(w)
		}
		unit := "row group"
		switch r.Format {
		case "arrow":
			unit = "record batch"
		case "csv", "jsonl":
			unit = "chunk"
		}
		fmt.Fprintf(w, "%s: %s, %s in %s, %s (%d bytes)", r.Path, r.Format, counted(r.Rows, "row"), counted(r.RowGroups, unit), humanize.IBytes(uint64(r.Size)), r.Size)
		if r.CreatedBy != "" {
			fmt.Fprintf(w, ", written by %q", r.CreatedBy)
		}
		fmt.Fprintln(w)
		// The last cell ends the line, not a tab: no padding after it.
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		if !hasChunks(r) {
			fmt.Fprintln(tw, "  column\ttype")
			for _, c := range r.Columns {
				fmt.Fprintf(tw, "  %s\t%s\n", c.Path, c.Type)
			}
		} else {
			fmt.Fprintln(tw, "  column\ttype\tcompression\tcompressed\tuncompressed")
			for _, c := range r.Columns {
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%d\n", c.Path, c.Type, strings.Join(c.Codecs, ","), c.CompressedBytes, c.UncompressedBytes)
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// hasChunks reports whether the file's columns have codecs and sizes to
// show: a Parquet file's column chunks do; Arrow, CSV and JSON Lines
// inputs report none.
func hasChunks(r pipeline.FileReport) bool {
	if r.Format == sources.FormatParquet {
		return true
	}
	for _, c := range r.Columns {
		if len(c.Codecs) > 0 || c.CompressedBytes != 0 || c.UncompressedBytes != 0 {
			return true
		}
	}
	return false
}
