package main

import (
	"io"
	"log/slog"
)

// newLogger returns the process's one logger, writing to w at level and
// above in format "text" or "json". It is passed to whatever logs; the
// slog default logger is left alone.
func newLogger(w io.Writer, level slog.Level, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
