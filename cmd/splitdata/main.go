// Command splitdata splits, samples and shuffles large tabular files for
// machine learning, reproducibly: the same seed gives the same rows in the
// same splits, in the same bytes, on any machine and with any number of
// workers. Run "splitdata help" for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/sources"
)

// Exit codes; listed under EXIT STATUS in the help.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130
)

func main() { os.Exit(runMain()) }

// runMain runs the process's command line with SIGINT and SIGTERM cancelling
// the work, and returns the exit code.
func runMain() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, os.Args[1:], os.Stdout, os.Stderr)
}

// run executes the command line args and returns the exit code. Everything
// a run creates is cleaned up before it returns.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	log := &logger{w: stderr, format: "text"}
	// The pipeline's notes (an output restored after a killed run) follow
	// --log-format like every other message.
	pipeline.Notice = func(msg string) { log.info(msg) }
	notes := &runNotes{}
	root := newRootCmd(stdout, log, notes)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	code := exitCode(ctx, err)
	if code == exitInterrupted {
		log.error("interrupted; temporary output removed, nothing written", "exit_code", code)
		return code
	}
	attrs := []any{"exit_code", code}
	hint := hintFor(err, notes)
	if log.format == "json" && hint != "" {
		attrs = append(attrs, "hint", hint)
	}
	log.error(err.Error(), attrs...)
	if log.format == "text" && hint != "" {
		log.error(hint)
	}
	if code == exitUsage && cmd != nil && log.format == "text" {
		fmt.Fprintf(stderr, "usage: %s\nRun '%s --help' for details.\n", cmd.UseLine(), cmd.CommandPath())
	}
	return code
}

// usageError marks errors in the command line itself.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// exitCode maps an error to the process exit code.
func exitCode(ctx context.Context, err error) int {
	var ue usageError
	var ie *sources.InputError
	switch {
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &ie):
		return exitFailure // bad input, even when found while checking the command line
	case errors.As(err, &ue), errors.Is(err, pipeline.ErrUsage), errors.Is(err, pipeline.ErrNoInput):
		return exitUsage
	default:
		return exitFailure
	}
}

// hintFor suggests the obvious next step for some errors.
func hintFor(err error, notes *runNotes) string {
	switch {
	case errors.Is(err, pipeline.ErrOutputExists):
		return "use --overwrite to replace it, or choose another --out"
	case errors.Is(err, sources.ErrSchemaMismatch) && notes.mixedFormats != "":
		return notes.mixedFormats
	case errors.Is(err, sources.ErrSchemaMismatch):
		return "all inputs of one run must have the same schema"
	}
	return ""
}
