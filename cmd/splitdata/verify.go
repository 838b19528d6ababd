package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/splitdata/splitdata/pipeline"
)

func newVerifyCmd(stdout io.Writer) *cobra.Command {
	var jsonOut, quiet bool
	cmd := &cobra.Command{
		Use:   "verify DIR",
		Short: "Check an output directory against its manifest (hashes, sizes, row counts)",
		Long: `Verify re-hashes every file listed in DIR/manifest.json and checks its size,
SHA-256 and footer row count, that each split's files add up to its rows, that
the splits and unassigned rows add up to the input rows, and that no unlisted
file sits in a split directory. Every difference is reported, one per line,
and the exit status is 1 if there is any.`,
		Example: `  splitdata verify splits`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("verify takes one output directory, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := pipeline.Verify(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			switch {
			case jsonOut:
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(r)
			case quiet:
				return nil
			}
			_, err = fmt.Fprintf(stdout, "verified %s: %d files, %d bytes, %d rows match the manifest\n", args[0], r.Files, r.Bytes, r.Rows)
			return err
		},
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the report as JSON")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print nothing but errors")
	return cmd
}
