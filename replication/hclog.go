package replication

import (
	"context"
	"io"
	"log"
	"log/slog"

	"github.com/hashicorp/go-hclog"
)

// hclogger makes a *slog.Logger the hclog.Logger hashicorp/raft logs to,
// so that raft's messages go where the node's do, with their levels and
// fields. Raft's debug chatter is demoted one level: its INFO lines are
// the node's DEBUG, its WARN and ERROR stay as they are.
type hclogger struct {
	l    *slog.Logger
	name string
	args []any
}

func newHCLogger(l *slog.Logger, name string) hclog.Logger {
	return &hclogger{l: l.With("component", name), name: name}
}

func (h *hclogger) level(lv hclog.Level) slog.Level {
	switch lv {
	case hclog.Trace, hclog.Debug:
		return slog.LevelDebug - 4
	case hclog.Info, hclog.NoLevel, hclog.DefaultLevel:
		return slog.LevelDebug
	case hclog.Warn:
		return slog.LevelWarn
	}
	return slog.LevelError
}

func (h *hclogger) Log(lv hclog.Level, msg string, args ...any) {
	level := h.level(lv)
	if !h.l.Enabled(context.Background(), level) {
		return
	}
	h.l.Log(context.Background(), level, msg, append(h.args[:len(h.args):len(h.args)], args...)...)
}

func (h *hclogger) Trace(msg string, args ...any) { h.Log(hclog.Trace, msg, args...) }
func (h *hclogger) Debug(msg string, args ...any) { h.Log(hclog.Debug, msg, args...) }
func (h *hclogger) Info(msg string, args ...any)  { h.Log(hclog.Info, msg, args...) }
func (h *hclogger) Warn(msg string, args ...any)  { h.Log(hclog.Warn, msg, args...) }
func (h *hclogger) Error(msg string, args ...any) { h.Log(hclog.Error, msg, args...) }

func (h *hclogger) enabled(lv hclog.Level) bool {
	return h.l.Enabled(context.Background(), h.level(lv))
}
func (h *hclogger) IsTrace() bool { return h.enabled(hclog.Trace) }
func (h *hclogger) IsDebug() bool { return h.enabled(hclog.Debug) }
func (h *hclogger) IsInfo() bool  { return h.enabled(hclog.Info) }
func (h *hclogger) IsWarn() bool  { return h.enabled(hclog.Warn) }
func (h *hclogger) IsError() bool { return h.enabled(hclog.Error) }

func (h *hclogger) ImpliedArgs() []any { return h.args }
func (h *hclogger) With(args ...any) hclog.Logger {
	return &hclogger{l: h.l, name: h.name, args: append(h.args[:len(h.args):len(h.args)], args...)}
}
func (h *hclogger) Name() string { return h.name }
func (h *hclogger) Named(name string) hclog.Logger {
	if h.name != "" {
		name = h.name + "." + name
	}
	return h.ResetNamed(name)
}
func (h *hclogger) ResetNamed(name string) hclog.Logger {
	return &hclogger{l: h.l.With("component", name), name: name, args: h.args}
}
func (h *hclogger) SetLevel(hclog.Level) {}
func (h *hclogger) GetLevel() hclog.Level {
	for _, lv := range []hclog.Level{hclog.Trace, hclog.Debug, hclog.Info, hclog.Warn} {
		if h.enabled(lv) {
			return lv
		}
	}
	return hclog.Error
}
func (h *hclogger) StandardLogger(*hclog.StandardLoggerOptions) *log.Logger {
	return slog.NewLogLogger(h.l.Handler(), slog.LevelDebug)
}
func (h *hclogger) StandardWriter(opts *hclog.StandardLoggerOptions) io.Writer {
	return h.StandardLogger(opts).Writer()
}
