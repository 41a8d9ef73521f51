package main

import (
	"fmt"
	"io"
	"strings"
)

const mainUsage = `mapstore is an S3-compatible object store.

Usage:
  mapstore serve [flags]     run a node (mapstore serve --help for its flags)
  mapstore help [command]    show this help, or a command's

Quick start:
  mapstore serve             serve 127.0.0.1:9000, data in ./mapstore-data;
                             prints the generated access key on first start
`

const serveIntro = `Usage: mapstore serve [flags]

Run one mapstore node: an S3 server on --listen that keeps its objects in
--data-dir. With no flags it serves 127.0.0.1:9000 from ./mapstore-data.

Every flag can be set by the environment variable shown next to it
instead. A flag wins over its variable, a variable over the default; an
empty variable counts as unset. SIZE takes a unit: B, KiB, MiB, GiB, TiB
(powers of 1024) or KB, MB, GB, TB (powers of 1000).
`

const serveCredentials = `
Credentials (environment only, never flags, so they stay out of the
process list):
  MAPSTORE_ACCESS_KEY, MAPSTORE_SECRET_KEY
      the access key and secret the server accepts. When both are unset,
      a key pair is generated on first start, saved in DIR/credentials
      (mode 0600, AWS shared credentials format), printed once to stderr,
      and reused silently afterwards.

Stop with SIGINT (Ctrl-C) or SIGTERM: the server stops accepting, lets
requests in flight finish for up to --shutdown-timeout, closes the store
and exits 0. A second signal kills it at once.

Exit status: 0 after a clean shutdown, 1 on a failure at run time, 2 on
a bad flag or environment variable.
`

// printMainUsage writes the overview of every command, including serve's
// flags (there is only the one command so far).
func printMainUsage(w io.Writer) {
	fmt.Fprint(w, mainUsage)
	fmt.Fprint(w, benchQuickStart)
	fmt.Fprintln(w)
	printServeUsage(w)
}

// printServeUsage writes serve's help: every setting with its flag,
// environment variable, default and meaning.
func printServeUsage(w io.Writer) {
	fmt.Fprint(w, serveIntro)
	fmt.Fprintln(w, "\nFlags:")
	defaults := defaultConfig()
	for _, s := range defaults.settings() {
		def := s.value.String()
		switch {
		case s.flag == "device":
			def = "DIR/device"
		case def == "":
			def = "none"
		}
		fmt.Fprintf(w, "  --%-27s $%-26s default %s\n", s.flag+" "+s.arg, s.env, def)
		for _, line := range wrap(s.help, 68) {
			fmt.Fprintf(w, "      %s\n", line)
		}
	}
	fmt.Fprintf(w, "  %-29s show this help\n", "-h, --help")
	fmt.Fprint(w, serveCredentials)
}

// wrap breaks text into lines of at most width bytes at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return append(lines, line)
}
