package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"mapstore/s3api"
	"mapstore/s3api/sigv4"
)

// handlerGrace is how long handlers may take to return once their
// requests are canceled and connections closed.
const handlerGrace = 5 * time.Second

// serve runs one node with cfg until ctx is done or the process receives
// SIGINT or SIGTERM, then shuts down gracefully. New credentials are
// printed to stderr; everything else goes to logger.
func serve(ctx context.Context, cfg config, logger *slog.Logger, stderr io.Writer, getenv func(string) string) error {
	// Catch the signals first: one arriving during start-up then leads to
	// a clean shutdown as soon as the server runs, not to a kill.
	sigCtx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	if err := absPaths(&cfg); err != nil {
		return err
	}
	if cfg.memoryLimit > 0 {
		debug.SetMemoryLimit(cfg.memoryLimit)
	}

	creds, credSource, err := resolveCredentials(cfg.dataDir, getenv)
	if err != nil {
		return err
	}
	credPath := filepath.Join(cfg.dataDir, credentialsFile)
	if credSource == fromFile {
		warnIfOthersCanRead(logger, credPath)
	}

	store, err := openStore(cfg, logger)
	if err != nil {
		return err
	}
	// From here on, every way out closes the store.
	handler, err := s3api.New(s3api.Options{
		Backend: store,
		Auth: sigv4.Config{Credentials: sigv4.StaticCredentials{
			creds.accessKey: {AccessKeyID: creds.accessKey, SecretAccessKey: creds.secretKey},
		}},
		Region:      cfg.region,
		BaseDomains: cfg.domains,
		Logger:      logger,
	})
	if err != nil {
		return errors.Join(fmt.Errorf("configuring the S3 server: %w", err), closeStore(store, logger))
	}
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return errors.Join(fmt.Errorf("listening: %w", err), closeStore(store, logger))
	}
	addr := ln.Addr().String() // the actual port if --listen asked for port 0
	endpoint := endpointURL(ln.Addr())

	if credSource == generated {
		if err := writeCredentials(credPath, creds); err != nil {
			ln.Close()
			return errors.Join(err, closeStore(store, logger))
		}
		printNewCredentials(stderr, creds, credPath, endpoint, cfg.region)
	}
	logger.Info("mapstore serving",
		"addr", addr,
		"endpoint", endpoint,
		"data_dir", cfg.dataDir,
		"device", cfg.device,
		"capacity", formatSize(deviceSize(cfg.device, cfg.capacity)),
		"journal_size", formatSize(cfg.journalSize),
		"memory_limit", formatSize(cfg.memoryLimit),
		"region", cfg.region,
		"domains", strings.Join(cfg.domains, ","),
		"credentials", credSource,
		"access_key", creds.accessKey,
		"pid", os.Getpid())

	// Requests run under requestsCtx, canceled only if the shutdown
	// timeout runs out, so that handlers still busy then give up.
	requestsCtx, cancelRequests := context.WithCancel(context.Background())
	defer cancelRequests()
	var requests inflight
	srv := handler.HTTPServer(addr)
	srv.Handler = requests.wrap(srv.Handler)
	srv.BaseContext = func(net.Listener) context.Context { return requestsCtx }

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served: // Serve returns before Shutdown only on failure
		cancelRequests()
		srv.Close()
		return errors.Join(fmt.Errorf("serving on %s: %w", addr, err), closeStore(store, logger))
	case <-sigCtx.Done():
	}
	stop() // from now on, a second signal kills the process
	logger.Info("shutting down: no new connections; waiting for requests in flight",
		"reason", context.Cause(sigCtx).Error(), "timeout", cfg.shutdownTimeout.String())

	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		logger.Warn("requests still in flight after the shutdown timeout: closing their connections", "err", err)
		cancelRequests()
		srv.Close()
	}
	if !requests.close(handlerGrace) {
		// Closing the store under a running handler is not allowed. The
		// journal makes an unclosed store safe: the next start recovers.
		return fmt.Errorf("requests still running %v after their connections were closed; exiting without closing the store", handlerGrace)
	}
	if err := closeStore(store, logger); err != nil {
		return err
	}
	logger.Info("mapstore stopped")
	return nil
}

// absPaths makes the data directory and device paths absolute, so that
// logs say exactly where the data is, and fills in the default device.
func absPaths(cfg *config) error {
	dir, err := filepath.Abs(cfg.dataDir)
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	cfg.dataDir = dir
	if cfg.device == "" {
		cfg.device = filepath.Join(dir, deviceFile)
	} else if cfg.device, err = filepath.Abs(cfg.device); err != nil {
		return fmt.Errorf("device: %w", err)
	}
	return nil
}

// deviceSize is the size of the device at path (a file or a block
// device), or def if it cannot be found out. An existing device keeps its
// size whatever --capacity says, so this is what the node really has.
func deviceSize(path string, def int64) int64 {
	f, err := os.Open(path)
	if err != nil {
		return def
	}
	defer f.Close()
	n, err := f.Seek(0, io.SeekEnd)
	if err != nil || n <= 0 {
		return def
	}
	return n
}

// closeStore closes the store, logging how it went.
func closeStore(store io.Closer, logger *slog.Logger) error {
	if err := store.Close(); err != nil {
		return fmt.Errorf("closing the store: %w", err)
	}
	logger.Info("store closed")
	return nil
}

// endpointURL is the URL clients on this machine reach addr with: an
// unspecified address (0.0.0.0, ::) is reached through the loopback.
func endpointURL(addr net.Addr) string {
	host, port := "127.0.0.1", ""
	if tcp, ok := addr.(*net.TCPAddr); ok {
		port = strconv.Itoa(tcp.Port)
		if !tcp.IP.IsUnspecified() {
			host = tcp.IP.String()
		}
	}
	return "http://" + net.JoinHostPort(host, port)
}

// warnIfOthersCanRead warns when the credentials file is readable by
// anyone but its owner, as ssh does for private keys.
func warnIfOthersCanRead(logger *slog.Logger, path string) {
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		logger.Warn("credentials file is accessible to other users; run chmod 600 on it",
			"path", path, "mode", fi.Mode().Perm().String())
	}
}
