package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// logger writes splitdata's own messages to stderr: "splitdata: ..." lines
// for people, or with --log-format json one JSON object per message for
// log collectors (Airflow, Argo, Kubernetes).
type logger struct {
	w       io.Writer
	format  string // "text" or "json"
	command string // the command running, for progress labels
}

// String, Set and Type make the format a flag value.
func (l *logger) String() string { return l.format }

// Set implements pflag.Value.
func (l *logger) Set(s string) error {
	if s != "text" && s != "json" {
		return fmt.Errorf("want text or json, got %q", s)
	}
	l.format = s
	return nil
}

// Type implements pflag.Value.
func (l *logger) Type() string { return "text|json" }

// info reports a note; attrs are key, value pairs.
func (l *logger) info(msg string, attrs ...any) { l.log(slog.LevelInfo, msg, attrs...) }

// error reports a failure; attrs are key, value pairs.
func (l *logger) error(msg string, attrs ...any) { l.log(slog.LevelError, msg, attrs...) }

func (l *logger) log(level slog.Level, msg string, attrs ...any) {
	if l.format == "json" {
		slog.New(slog.NewJSONHandler(l.w, nil)).Log(context.Background(), level, msg, attrs...)
		return
	}
	for _, line := range strings.Split(msg, "\n") {
		fmt.Fprintf(l.w, "splitdata: %s\n", line)
	}
}
