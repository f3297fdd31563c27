//go:build unix

package server

import "syscall"

func fdLimit() int {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil || r.Cur > 1<<30 {
		return 0 // unknown, or "unlimited": no basis for a derived limit
	}
	return int(r.Cur)
}
