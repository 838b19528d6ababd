package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/splitdata/splitdata/pipeline"
)

func newInspectCmd(stdout io.Writer) *cobra.Command {
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "inspect FILE...",
		Short: "Show the schema, rows, row groups, compression and size of Parquet files",
		Long: `Inspect reads only the footers of the given Parquet files (files, directories of
*.parquet files, or globs) and prints, for each, its rows, row groups, size and
writer, and per column its type, compression codecs and compressed and
uncompressed sizes. --json prints the same as JSON.`,
		Example: `  splitdata inspect data/
  splitdata inspect splits/train/part-00000.parquet --json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("inspect needs at least one FILE")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			reports, err := pipeline.Inspect(cmd.Context(), args)
			if err != nil {
				return err
			}
			if jsonOut {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(reports)
			}
			return printInspect(stdout, reports)
		},
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the report as JSON")
	return cmd
}

func printInspect(w io.Writer, reports []pipeline.FileReport) error {
	for i, r := range reports {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s: %d rows in %d row groups, %s (%d bytes), written by %q\n",
			r.Path, r.Rows, r.RowGroups, humanize.IBytes(uint64(r.Size)), r.Size, r.CreatedBy)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  column\ttype\tcompression\tcompressed\tuncompressed\t")
		for _, c := range r.Columns {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%d\t\n", c.Path, c.Type, strings.Join(c.Codecs, ","), c.CompressedBytes, c.UncompressedBytes)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}
