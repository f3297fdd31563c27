// Package readme holds the tests that run the code shown in the repository's README.md, so that what a newcomer
// copies works. It has no code of its own.
package readme
