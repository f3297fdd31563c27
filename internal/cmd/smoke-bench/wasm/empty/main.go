// Command empty is the wasm section's baseline: the smallest Go program, built for GOOS=js GOARCH=wasm the way
// npm/build.sh builds smoke.wasm. Its size and cold start are what any Go wasm program pays before its own code.
package main

func main() {}
