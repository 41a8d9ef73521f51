// Package device opens the one device a node keeps its data on and knows
// what makes writes to it durable.
//
// # Kinds
//
//	kind   what it is                             how it is opened          durability step
//	-----  -------------------------------------  ------------------------  ------------------------------
//	file   a preallocated file (the default)      created, fallocate(size)  fdatasync: data and the size
//	block  a raw block device (/dev/nvme0n1p3)    opened as is; size from   fdatasync: Linux sends the
//	                                              the BLKGETSIZE64 ioctl    device a cache flush
//	pmem   a file on a DAX file system (ext4 or   created, fallocate(size)  fdatasync: writes go straight
//	       xfs mounted -o dax), or on tmpfs       MAP_SYNC is probed        to the media; the kernel
//	       (/dev/shm) standing in for one                                   flushes CPU caches for DAX
//
// The storage stack maps the device MAP_PRIVATE and writes home with
// pwritev, never through a shared mapping, so for every kind the durability
// step is an fdatasync of the device; what differs is how the device is
// found, sized and prepared. MapSync reports whether a MAP_SYNC mapping is
// possible (a real DAX file system), for code that wants to write through a
// shared mapping and flush CPU caches itself.
//
// tmpfs is memory: a device there does not survive a reboot. It is useful as
// emulated persistent memory in tests and benchmarks, and Open says so in
// its log.
//
// Detection (KindAuto) looks at the path: a block device is block; a file
// on a file system mounted with dax, or on tmpfs, is pmem; anything else is
// file. Options.Kind overrides it.
package device
