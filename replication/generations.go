package replication

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// A node's store lives in a generation directory, store-<n>, and the file
// STORE names the current one. Installing a snapshot builds the next
// generation beside the current one and switches by replacing STORE
// (write, sync, rename, sync the directory), so a crash at any point
// leaves either the old store or the new one, never a mix. Generations
// that STORE does not name are leftovers of an install cut short, removed
// at start.

const currentFile = "STORE"

// genDir is the directory of generation gen.
func genDir(dataDir string, gen uint64) string {
	return filepath.Join(dataDir, fmt.Sprintf("store-%d", gen))
}

// readCurrent returns the current generation, 1 for a new node.
func readCurrent(dataDir string) (uint64, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, currentFile))
	if errors.Is(err, os.ErrNotExist) {
		return 1, nil
	}
	if err != nil {
		return 0, fmt.Errorf("replication: reading %s: %w", currentFile, err)
	}
	gen, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || gen == 0 {
		return 0, fmt.Errorf("replication: %s holds %q, not a generation", currentFile, b)
	}
	return gen, nil
}

// writeCurrent makes gen the current generation, durably.
func writeCurrent(dataDir string, gen uint64) error {
	return writeFileAtomic(filepath.Join(dataDir, currentFile), []byte(strconv.FormatUint(gen, 10)+"\n"))
}

// writeFileAtomic replaces path with data: a crash leaves the old content
// or the new, whole.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("replication: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("replication: writing %s: %w", path, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// removeOtherGenerations removes every generation directory but keep.
func removeOtherGenerations(dataDir string, keep uint64) error {
	entries, err := os.ReadDir(dataDir)
	if err != nil {
		return fmt.Errorf("replication: %w", err)
	}
	for _, e := range entries {
		n, ok := strings.CutPrefix(e.Name(), "store-")
		if !ok || !e.IsDir() {
			continue
		}
		if gen, err := strconv.ParseUint(n, 10, 64); err == nil && gen != keep {
			if err := os.RemoveAll(filepath.Join(dataDir, e.Name())); err != nil {
				return fmt.Errorf("replication: removing an old store: %w", err)
			}
		}
	}
	return nil
}
