package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progressBarWidth is the number of cells of the progress bar.
const progressBarWidth = 24

// progress shows how a run is going on one line of w, redrawn in place
// when w is a terminal and printed as a new line otherwise:
//
//	[#########...............]  3.8s/10s  15210 ops  4012 ops/s  16.4 MB/s  0 errors
//
// The rates are those of the last interval; the bar and the times follow
// --duration, or --count if that is closer to its end.
type progress struct {
	w        io.Writer
	terminal bool
	start    time.Time
	duration time.Duration // 0: no time limit
	count    int64         // 0: no limit on operations
	stats    *benchStats

	last               time.Time // of the previous line
	lastOps, lastBytes int64
}

func newProgress(w io.Writer, cfg benchConfig, stats *benchStats, start time.Time) *progress {
	return &progress{w: w, terminal: isTerminal(w), start: start, duration: cfg.duration, count: cfg.count, stats: stats, last: start}
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// run prints a line every second until done is closed, then a last one
// with the rates of the whole run, ending the line.
func (p *progress) run(done <-chan struct{}) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case now := <-tick.C:
			p.print(p.line(now, false))
		case <-done:
			p.print(p.line(time.Now(), true))
			if p.terminal {
				fmt.Fprintln(p.w)
			}
			return
		}
	}
}

func (p *progress) print(line string) {
	if p.terminal {
		fmt.Fprintf(p.w, "\r%s\x1b[K", line) // erase what is left of a longer line
	} else {
		fmt.Fprintln(p.w, line)
	}
}

// line formats the state at now; final makes the rates those of the
// whole run.
func (p *progress) line(now time.Time, final bool) string {
	ops, errs, bytes := p.stats.totals()
	elapsed := now.Sub(p.start)
	var frac float64
	if p.duration > 0 {
		frac = elapsed.Seconds() / p.duration.Seconds()
	}
	if p.count > 0 {
		frac = max(frac, float64(ops+errs)/float64(p.count))
	}
	frac = min(frac, 1)
	cells := int(frac * progressBarWidth)
	bar := strings.Repeat("#", cells) + strings.Repeat(".", progressBarWidth-cells)

	since, dOps, dBytes := now.Sub(p.last), ops-p.lastOps, bytes-p.lastBytes
	if final {
		since, dOps, dBytes = elapsed, ops, bytes
	}
	p.last, p.lastOps, p.lastBytes = now, ops, bytes
	var opsRate, mbRate float64
	if s := since.Seconds(); s > 0 {
		opsRate, mbRate = float64(dOps)/s, float64(dBytes)/1e6/s
	}

	when := fmt.Sprintf("%.1fs", elapsed.Seconds())
	if p.duration > 0 {
		when += "/" + p.duration.String()
	}
	done := fmt.Sprintf("%d ops", ops)
	if p.count > 0 {
		done = fmt.Sprintf("%d/%d ops", ops+errs, p.count)
	}
	return fmt.Sprintf("[%s] %s  %s  %.0f ops/s  %.1f MB/s  %d errors", bar, when, done, opsRate, mbRate, errs)
}
