package restcore

import "time"

// positive returns v when it is set (above zero), else def: in Server and Transport, a zero limit or timeout means
// its default.
func positive[T int | int64 | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}
