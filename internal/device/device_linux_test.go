//go:build linux

package device

import "testing"

func TestHasDAX(t *testing.T) {
	for opts, want := range map[string]bool{
		"rw,relatime":                 false,
		"rw,relatime,dax":             true,
		"rw,dax=always":               true,
		"rw,dax=never":                false,
		"rw,dax=inode":                false,
		"rw,relatime,data=ordered,ro": false,
	} {
		if got := hasDAX(opts); got != want {
			t.Errorf("hasDAX(%q) = %v, want %v", opts, got, want)
		}
	}
}
