package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1 // failure at run time
	exitUsage = 2 // bad command line or environment
)

// run dispatches to the subcommand named by args[0] and returns the exit
// status. Help asked for goes to stdout, everything else to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		printMainUsage(stderr)
		return exitUsage
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return runServe(ctx, rest, stdout, stderr, getenv)
	case "bench":
		return runBench(ctx, rest, stdout, stderr, getenv)
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 && rest[0] == "serve" {
			printServeUsage(stdout)
		} else {
			printMainUsage(stdout)
		}
		return exitOK
	default:
		fmt.Fprintf(stderr, "mapstore: unknown command %q\nRun 'mapstore --help' for usage.\n", cmd)
		return exitUsage
	}
}

// runServe parses serve's configuration and runs the node until ctx is
// done or a signal arrives.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cfg, err := parseServe(args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		printServeUsage(stdout)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "mapstore serve: %v\nRun 'mapstore serve --help' for usage.\n", err)
		return exitUsage
	}
	logger := newLogger(stderr, cfg.logLevel, cfg.logFormat)
	if err := serve(ctx, cfg, logger, stderr, getenv); err != nil {
		logger.Error("mapstore serve failed", "err", err)
		var uerr usageError
		if errors.As(err, &uerr) {
			return exitUsage
		}
		return exitError
	}
	return exitOK
}
