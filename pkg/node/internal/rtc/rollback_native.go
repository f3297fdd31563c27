//go:build !js

package rtc

const canRollback = false
