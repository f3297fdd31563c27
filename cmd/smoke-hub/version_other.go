//go:build !linux

package main

import "io/fs"

// fileVersion is "" where there is no change time to rely on: every request hashes the file (see staticFiles).
func fileVersion(fs.FileInfo) string { return "" }
