//go:build !linux && !js

package browser

// killLeftovers does nothing outside Linux: there is no /proc to find
// Chromium's orphaned children by. Chromium's children notice the end of
// the browser and exit by themselves, only later.
func killLeftovers(dir string) {}

// killGroup does nothing outside Linux; see killLeftovers.
func killGroup(pid int) {}
