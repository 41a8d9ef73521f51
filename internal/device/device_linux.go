//go:build linux

package device

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"

	"mapstore/internal/vfs"
)

// fileKind classifies a file in dir by its file system: tmpfs and
// dax-mounted file systems hold persistent memory, others plain files.
func fileKind(dir string) (probe, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return probe{}, fmt.Errorf("device: statfs %s: %w", dir, err)
	}
	if st.Type == unix.TMPFS_MAGIC {
		return probe{kind: KindPMEM, tmpfs: true}, nil
	}
	dax, err := mountedDAX(dir)
	if err != nil {
		return probe{}, err
	}
	if dax {
		return probe{kind: KindPMEM}, nil
	}
	return probe{kind: KindFile}, nil
}

// mountedDAX reports whether the file system holding dir is mounted with
// the dax option, from /proc/self/mountinfo (the longest mount point that
// contains dir).
func mountedDAX(dir string) (bool, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false, err
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return false, nil // no mount table: assume no DAX
	}
	defer f.Close()
	best, dax := "", false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent major:minor root mountpoint options ... - fstype source superoptions
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 {
			continue
		}
		mp := fields[4]
		if !(abs == mp || strings.HasPrefix(abs, strings.TrimSuffix(mp, "/")+"/")) || len(mp) < len(best) {
			continue
		}
		best = mp
		opts := fields[5]
		if i := indexOf(fields, "-"); i >= 0 && i+3 < len(fields) {
			opts += "," + fields[i+3]
		}
		dax = hasDAX(opts)
	}
	return dax, sc.Err()
}

func indexOf(fields []string, s string) int {
	for i, f := range fields {
		if f == s {
			return i
		}
	}
	return -1
}

// hasDAX reports whether a comma-separated option list turns DAX on
// ("dax" or "dax=always"; not "dax=never" or "dax=inode").
func hasDAX(opts string) bool {
	for _, o := range strings.Split(opts, ",") {
		if o == "dax" || o == "dax=always" {
			return true
		}
	}
	return false
}

// blockSize returns a block device's size in bytes.
func blockSize(f vfs.File) (int64, error) {
	var n uint64
	_, _, e := unix.Syscall(unix.SYS_IOCTL, f.Fd(), unix.BLKGETSIZE64, uintptr(unsafe.Pointer(&n)))
	if e != 0 {
		return 0, fmt.Errorf("ioctl BLKGETSIZE64: %w", e)
	}
	return int64(n), nil
}

// probeMapSync tries a one-page MAP_SHARED_VALIDATE|MAP_SYNC mapping,
// which the kernel grants only on a DAX file system.
func probeMapSync(f vfs.File) bool {
	m, err := unix.Mmap(int(f.Fd()), 0, os.Getpagesize(), unix.PROT_READ, unix.MAP_SHARED_VALIDATE|unix.MAP_SYNC)
	if err != nil {
		return false
	}
	unix.Munmap(m)
	return true
}
