// Package vfs is the one seam through which the storage stack touches
// files.
//
// Every file operation of the store (creating, writing, syncing, renaming
// and removing files, syncing directories) goes through the FS and File
// interfaces and nothing else. Production code runs on the operating
// system; tests swap in a file system that can lose power or fail chosen
// operations, and so check that the store survives every crash and every
// I/O error, not only the ones that happen to occur on a developer's disk.
//
// # Implementations
//
//   - Default (NewOSFS) is the operating system's file system: pwritev,
//     fdatasync, fallocate, flock and directory fsync on Linux, portable
//     fallbacks elsewhere.
//   - MemFS (NewMem) lives in memory and keeps apart what has been written
//     from what has been made durable, so CrashClone can show what a disk
//     would hold after a power cut.
//   - NewErrorFS wraps any FS and asks an Injector before each operation
//     whether to fail it instead; OnIndex fails the k-th matching
//     operation, Probability fails at random.
//
// # Crash model of MemFS
//
// Each directory keeps its current entries and its synced entries; each
// file keeps its current data and size and its synced data and size.
// Operations read and change the current state. SyncDir copies a
// directory's current entries to its synced ones; File.Sync and
// File.Datasync copy a file's data and size. A power cut keeps only the
// synced state:
//
//	            current (volatile)            synced (durable)
//	            ------------------            ----------------
//	dir "/"     {LOG, new, tmp}     SyncDir   {LOG, old}
//	                                ------>
//	file "LOG"  [A ][B'][C'][D ]    Sync,     [A ][B ][C ]
//	            size 16 KiB         Datasync  size 12 KiB
//	                ^^^^^^^^        ------>
//	                dirty: written since the last sync
//
//	after a power cut (CrashClone):
//	dir "/"     {LOG, old}      "tmp" never existed; "new" is back
//	                            as "old": neither change was synced
//	file "LOG"  [A ][B ][C ]    the synced data and size; with
//	            size 12 KiB     CrashOptions some dirty blocks inside
//	                            the 12 KiB (B', C') may survive and the
//	                            last write may be torn into 512-byte
//	                            sectors
//
// A file exists after the crash only if every directory from the root down
// to it has synced an entry for it, so a file that was created and synced
// but whose directory was not is lost. Entries point at inodes, not
// copies: a file renamed without syncing either directory is found under
// its old name, with the data synced through any name.
//
// CrashClone leaves the original running; Crash then makes every further
// operation on the original fail with ErrCrashed, so a workload still
// running against it stops at once. A test typically runs a workload, takes
// a CrashClone at some point, calls Crash, reopens the store on the clone
// and checks its invariants.
//
// # Errors
//
// Errors are wrapped with the operation and name. errors.Is matches the
// sentinels of errors.go (ErrNotExist, ErrCrashed, ErrInjected,
// ErrUnsupported, ErrLocked) and, for both file systems, the errno
// underneath (syscall.ENOTEMPTY and the like).
package vfs
