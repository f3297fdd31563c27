package main

import (
	"fmt"
	"io/fs"
	"syscall"
)

// fileVersion names a file's content without reading it: its inode, size and change time. Unlike the modification
// time, no tool can set the change time, so a file written again (a rebuild, an unpacked tarball) has a new one.
func fileVersion(fi fs.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%d:%d:%d:%d.%d", st.Dev, st.Ino, st.Size, st.Ctim.Sec, st.Ctim.Nsec)
}
