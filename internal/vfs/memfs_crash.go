package vfs

import (
	"maps"
	"math/rand/v2"
	"slices"
)

// CrashOptions say what CrashClone lets survive beyond the synced state.
// The zero value keeps exactly the synced state.
type CrashOptions struct {
	// Rand drives every random choice. Nil (the default) means a
	// deterministic crash in which nothing unsynced survives, whatever the
	// other fields say. Blocks and sectors are visited in a fixed order
	// (files by sorted path, blocks by offset), so a seeded Rand gives a
	// reproducible crash.
	Rand *rand.Rand
	// UnsyncedBlockSurvival is the probability that each 4 KiB block
	// written since the file's last sync, and lying within its synced
	// size, reached the disk anyway and keeps its new content. Default 0.
	UnsyncedBlockSurvival float64
	// TornLastWrite tears the most recent unsynced write (the latest over
	// the whole FS among files that survive): each 512-byte sector it
	// covers, within the synced size, independently ends up with the new or
	// the old (synced) content. It is applied after block survival.
	// Default false.
	TornLastWrite bool
}

// Crash makes every later operation on m, and on the files open on it,
// fail with an error wrapping ErrCrashed, so that a workload still running
// against m stops. Take the CrashClone first: Crash does not change the
// contents, and CrashClone still works afterwards.
func (m *MemFS) Crash() { m.crashed.Store(true) }

// CrashClone returns a new MemFS holding what would survive a power cut
// now; m is left untouched and usable.
//
// The directory tree follows synced entries from the root: a file or
// directory exists in the clone only if it is in the synced entries of its
// directory, which is in the synced entries of its own, and so on up to
// the root. A file reached under two names (renamed without syncing both
// directories) stays one inode. Each file holds its synced data and size,
// plus whatever opts lets survive. Everything in the clone is durable, and
// no locks are held.
func (m *MemFS) CrashClone(opts CrashOptions) *MemFS {
	m.mu.Lock()
	defer m.mu.Unlock()

	c := &cloner{dirs: map[*memNode]*memNode{}, files: map[*memNode]*memNode{}}
	clone := &MemFS{root: c.dir(m.root), locks: map[string]bool{}}

	// Find the file with the most recent unsynced write.
	var torn *memNode
	if opts.Rand != nil && opts.TornLastWrite {
		var best uint64
		for _, n := range c.order {
			n.inode.mu.Lock()
			if s := n.inode.last.seq; s > best {
				best, torn = s, n
			}
			n.inode.mu.Unlock()
		}
	}
	for _, n := range c.order {
		n.inode.mu.Lock()
		c.files[n].inode = n.inode.crashCopy(opts, n == torn)
		n.inode.mu.Unlock()
	}
	return clone
}

// cloner copies the synced directory tree, keeping shared nodes shared.
type cloner struct {
	dirs  map[*memNode]*memNode
	files map[*memNode]*memNode
	order []*memNode // original files in the order first reached
}

func (c *cloner) dir(n *memNode) *memNode {
	if d, ok := c.dirs[n]; ok {
		return d
	}
	d := newDir()
	c.dirs[n] = d // before recursing: the synced tree may have a cycle
	for _, name := range slices.Sorted(maps.Keys(n.synced)) {
		d.entries[name] = c.node(n.synced[name])
	}
	d.synced = maps.Clone(d.entries)
	return d
}

func (c *cloner) node(n *memNode) *memNode {
	if n.isDir {
		return c.dir(n)
	}
	f, ok := c.files[n]
	if !ok {
		f = &memNode{} // inode filled in by CrashClone
		c.files[n] = f
		c.order = append(c.order, n)
	}
	return f
}

// crashCopy returns the inode as it would be found after a power cut: the
// synced data and size, plus surviving unsynced blocks and, if torn is
// set, a torn last write. n.mu must be held.
func (n *memInode) crashCopy(opts CrashOptions, torn bool) *memInode {
	nblocks := (n.syncedSize + blockSize - 1) / blockSize
	res := make([]*block, nblocks)
	copy(res, n.synced)
	var private bitset // blocks of res that are fresh copies

	if rng, p := opts.Rand, opts.UnsyncedBlockSurvival; rng != nil && p > 0 {
		n.dirty.each(func(b int64) {
			if b >= nblocks || (p < 1 && rng.Float64() >= p) {
				return
			}
			res[b] = nil
			if cur := blockAt(n.data, b); cur != nil {
				res[b] = new(block)
				*res[b] = *cur
				if end := n.syncedSize - b*blockSize; end < blockSize {
					clear(res[b][end:]) // keep the zero tail past the size
				}
				private.set(b)
			}
		})
	}

	if torn && n.last.seq != 0 {
		lo, hi := n.last.off, min(n.last.off+n.last.n, n.syncedSize)
		for s := lo - lo%sectorSize; s < hi; s += sectorSize {
			from := n.synced // old content
			if opts.Rand.IntN(2) == 0 {
				from = n.data // new content
			}
			a, e := max(s, lo), min(s+sectorSize, hi)
			b := a / blockSize // a sector never straddles blocks
			if !private.has(b) {
				blk := new(block)
				if res[b] != nil {
					*blk = *res[b]
				}
				res[b] = blk
				private.set(b)
			}
			readBlocks(from, res[b][a%blockSize:e-b*blockSize], a)
		}
	}

	return &memInode{
		data:       res,
		size:       n.syncedSize,
		synced:     slices.Clone(res),
		syncedSize: n.syncedSize,
	}
}
