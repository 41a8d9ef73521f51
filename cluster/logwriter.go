package cluster

import (
	"bytes"
	"context"
	"log"
	"log/slog"
)

// memberlist logs lines such as "[WARN] memberlist: ..." to a
// *log.Logger; levelWriter turns each into a slog record of that level.
// Its DEBUG and INFO lines are the node's DEBUG: gossip is chatty.
type levelWriter struct{ l *slog.Logger }

func newStdLogger(l *slog.Logger) *log.Logger { return log.New(levelWriter{l}, "", 0) }

func (w levelWriter) Write(p []byte) (int, error) {
	line := bytes.TrimSpace(p)
	level := slog.LevelDebug
	for prefix, lv := range map[string]slog.Level{"[ERR]": slog.LevelError, "[ERROR]": slog.LevelError, "[WARN]": slog.LevelWarn} {
		if bytes.HasPrefix(line, []byte(prefix)) {
			level = lv
		}
	}
	if i := bytes.IndexByte(line, ']'); i >= 0 && line[0] == '[' {
		line = bytes.TrimSpace(line[i+1:])
	}
	line = bytes.TrimPrefix(line, []byte("memberlist: "))
	w.l.Log(context.Background(), level, string(line))
	return len(p), nil
}
