package server

import "errors"

// Errors a Registry returns. Implementations wrap them or return them as they are; callers test with errors.Is.
var (
	// ErrHostnameTaken means another address holds the hostname.
	ErrHostnameTaken = errors.New("hub server: hostname taken")
	// ErrHostnameNotFound means no address holds the hostname (for Release: not the address releasing it).
	ErrHostnameNotFound = errors.New("hub server: hostname not found")
)

// Internal errors; none reaches a caller of this package.
var (
	errServerClosed    = errors.New("hub server: closed")
	errNotAttached     = errors.New("hub server: connection no longer attached to its session")
	errSessionEnded    = errors.New("hub server: session ended")
	errTooMany         = errors.New("hub server: too many hostnames")
	errTooManySessions = errors.New("hub server: too many sessions")
	errClosing         = errors.New("hub server: connection closing")
	errNoPoller        = errors.New("hub server: no poller on this system")
)
