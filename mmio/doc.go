// Package mmio gives the storage stack memory-mapped access to its device
// file with the control a database needs: explicit dirty tracking, a
// resident budget with reclaim, vectored writeback, non-blocking page-in,
// and faults that become errors.
//
// It follows "Efficient Memory-Mapped I/O on Fast Storage Device" (TOS'16)
// for reclaim and writeback, and answers "Why not mmap?" (a page fault
// blocks the thread) with Prefetch.
//
// # Regions
//
// A Region is a window onto part of a file. Map maps it MAP_PRIVATE: reads
// are zero-copy from the page cache, and a write makes a private copy of
// the page that the kernel never writes back, so no half-updated page can
// reach the file behind the store's back. NewBuffered keeps the region in a
// heap buffer read through the vfs File instead, with the same semantics,
// so crash tests run on the in-memory crash FS.
//
// Reads are ReadAt (a copy) or View (zero-copy; see View for the lifetime
// of its bytes). Writes go through a Tx, which copies into the region and
// marks pages dirty; the journal package commits a Tx all or none.
//
// # Page states
//
// A page the region holds nothing private for shows the file's contents.
// Every other page has an entry in a sharded page table:
//
//	dirty      written by an open Tx (owned by it)
//	pending    sealed into a journal record that is not yet durable
//	journaled  durable in the journal, home copy stale
//	clean      private, but the home copy is current
//
// # Budget and reclaim
//
// Options.Budget bounds the privately held pages. A write that exceeds it
// reclaims: clean pages are dropped first (MADV_DONTNEED, so the next read
// sees the file again); with FullRecycling, journaled pages follow, written
// home first, sorted by offset, each contiguous run with one pwritev, then
// dropped. CleanOnlyRecycling never writes a page home itself and leaves
// journaled pages to the checkpointer. Dirty and pending pages are never
// taken. Victims are chosen FIFO with a second chance for pages written
// since the last scan, shard by shard, so writers on different cores do not
// contend on one lock.
//
// # Non-blocking page-in
//
// A page fault in Go blocks the thread and its P. Prefetch checks residency
// with mincore and faults missing pages in with MADV_POPULATE_READ, inside
// a system call, so the runtime runs other goroutines meanwhile; on kernels
// without it, it reads the range through the file instead.
//
// # Faults
//
// A failed page-in under a mapping raises SIGBUS. Every access the region
// makes itself runs with debug.SetPanicOnFault and returns an error wrapping
// ErrFault instead; Prefetch reports MADV_POPULATE_READ failures the same
// way.
package mmio
