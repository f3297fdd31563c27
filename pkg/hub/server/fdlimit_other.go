//go:build !unix

package server

func fdLimit() int { return 0 }
