//go:build !js && !race

package server

const raceEnabled = false
