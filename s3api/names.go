package s3api

import (
	"net/netip"
	"strings"
)

// ValidBucketName reports whether name follows S3's bucket naming rules:
// 3 to 63 characters of lower-case letters, digits, hyphens and dots,
// starting and ending with a letter or digit; not formatted as an IPv4
// address; no two adjacent dots; none of the reserved prefixes ("xn--",
// "sthree-", "amzn-s3-demo-") and suffixes ("-s3alias", "--ol-s3",
// ".mrap", "--x-s3", "--table-s3").
func ValidBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' || c == '.':
			if i == 0 || i == len(name)-1 {
				return false
			}
		default:
			return false
		}
	}
	if strings.Contains(name, "..") {
		return false
	}
	if addr, err := netip.ParseAddr(name); err == nil && addr.Is4() {
		return false
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, s) {
			return false
		}
	}
	return true
}
