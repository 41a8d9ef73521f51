package main

import (
	"errors"
	"fmt"
	"log/slog"

	"mapstore/localstore"
)

// Defaults of the store's settings are the store's own.
const (
	defaultCapacity    = localstore.DefaultCapacity
	defaultJournalSize = localstore.DefaultJournalSize
	deviceFile         = localstore.DeviceFile
)

// openStore opens (creating if needed) the node's object engine on the
// configured data directory and device.
func openStore(cfg config, logger *slog.Logger) (*localstore.Store, error) {
	store, err := localstore.Open(localstore.Options{
		Dir:         cfg.dataDir,
		Device:      cfg.device,
		Capacity:    cfg.capacity,
		JournalSize: cfg.journalSize,
		Logger:      logger,
	})
	if errors.Is(err, localstore.ErrOptions) {
		return nil, usageError{err} // e.g. a capacity below the minimum
	}
	if err != nil {
		return nil, fmt.Errorf("opening the store in %s: %w", cfg.dataDir, err)
	}
	return store, nil
}
