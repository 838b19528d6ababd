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
	"github.com/splitdata/splitdata/storage"
)

// Exit codes; listed under EXIT STATUS in the help. exitTransient is
// sysexits.h's EX_TEMPFAIL, the status of a failure worth retrying.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitTransient   = 75
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
	root.SetArgs(shuffleValues(args))
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	code := exitCode(ctx, err)
	if code == exitInterrupted {
		log.error(interruptedMessage(log.command), "exit_code", code, "error_class", errorClass(code, err))
		return code
	}
	attrs := []any{"exit_code", code, "error_class", errorClass(code, err)}
	hint := hintFor(err, notes, log.command)
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

// readOnlyCommands write nothing: interrupted, they have no temporary
// output to remove.
var readOnlyCommands = map[string]bool{"verify": true, "inspect": true, "explain": true, "version": true, "help": true}

// interruptedMessage is the message of command interrupted by SIGINT or
// SIGTERM.
func interruptedMessage(command string) string {
	if readOnlyCommands[command] {
		return "interrupted"
	}
	return "interrupted; temporary output removed, nothing written"
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
	switch {
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		return exitInterrupted
	case isTransient(err):
		return exitTransient // even while reading an input: the input may be fine
	case isInputError(err):
		return exitFailure // bad input, even when found while checking the command line
	case errors.As(err, &ue), errors.Is(err, pipeline.ErrUsage), errors.Is(err, pipeline.ErrNoInput):
		return exitUsage
	default:
		return exitFailure
	}
}

// isInputError reports whether err is about an input's contents.
func isInputError(err error) bool {
	var ie *sources.InputError
	return errors.As(err, &ie)
}

// transientErrnos are the system errors that a later run may well not
// meet: a full or over-quota disk (temporary files, a scratch space
// another job fills), and the network (a network file system, object
// storage).
var transientErrnos = []error{
	syscall.ENOSPC, syscall.EDQUOT,
	syscall.ETIMEDOUT, syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED,
	syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.ENETDOWN, syscall.ENETRESET,
	syscall.EPIPE, syscall.ESTALE, syscall.EAGAIN,
}

// isTransient reports whether err is a failure worth retrying as it is:
// the output locked by a live run, a full disk, the network, a timeout or
// throttling. Errors of other packages (object storage clients) take part
// by having a method Temporary() bool, or Timeout() bool as net.Error
// does, that returns true.
func isTransient(err error) bool {
	if errors.Is(err, pipeline.ErrLocked) || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		storage.IsTransient(err) {
		return true
	}
	for _, errno := range transientErrnos {
		if errors.Is(err, errno) {
			return true
		}
	}
	var temporary interface{ Temporary() bool }
	if errors.As(err, &temporary) && temporary.Temporary() {
		return true
	}
	var timeout interface{ Timeout() bool }
	return errors.As(err, &timeout) && timeout.Timeout()
}

// hintFor suggests the obvious next step for some errors of command (the
// subcommand's name, "" when none ran).
func hintFor(err error, notes *runNotes, command string) string {
	switch {
	case errors.Is(err, pipeline.ErrOutputExists) && command == "merge":
		// merge has neither --overwrite nor --out: its DIR is the plan's.
		return "to merge again, plan again; --if-exists skip accepts an output this plan already merged"
	case errors.Is(err, pipeline.ErrShards) && notes.mergeDir != "":
		return fmt.Sprintf("run each shard named with 'splitdata run-shard --plan %s --shard-index I', then merge again",
			joinLocation(notes.mergeDir, pipeline.PlanName))
	case errors.Is(err, pipeline.ErrOutputExists):
		return "use --overwrite to replace it, or choose another --out"
	case errors.Is(err, pipeline.ErrOutputDiffers):
		return "use --if-exists overwrite to replace it, or choose another --out"
	case errors.Is(err, sources.ErrSchemaMismatch) && notes.mixedFormats != "":
		return notes.mixedFormats
	case errors.Is(err, sources.ErrSchemaMismatch):
		return "all inputs of one run must have the same schema"
	}
	return ""
}
