// Package random fills byte slices with cryptographically secure random bytes: crypto/rand natively, the browser's
// crypto.getRandomValues in wasm. crypto/rand itself would do in the browser too (it calls getRandomValues), but it
// links Go's FIPS 140 module (AES, SHA-2, SHA-3, a DRBG and their self-tests) into smoke.wasm: about 0.1 MB of code
// and a package init on every page load (docs/ARCHITECTURE.md, decision 15).
package random

// Read fills b with random bytes and returns len(b), nil. Like crypto/rand.Read, it never fails: a platform
// without a source of randomness crashes the program instead.
func Read(b []byte) (int, error) {
	read(b)
	return len(b), nil
}
