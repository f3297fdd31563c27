//go:build !js

package random

import "crypto/rand"

func read(b []byte) { rand.Read(b) }
