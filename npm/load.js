// @smokenet/smoke/load: the package without top-level await, for bundlers that do not take it (esbuild's iife
// format) and for apps that say themselves where smoke.wasm is:
//
//   import { load } from '@smokenet/smoke/load'
//   import wasm from '@smokenet/smoke/dist/smoke.wasm'   // a URL from the bundler (esbuild: --loader:.wasm=file)
//   const { Node } = await load({ wasm })
//
// Types: load.d.ts. The default entry (index.js) is this with the wasm beside the package and the await at the top.
import './dist/wasm_exec.js' // defines globalThis.Go
import { load as loadWasm } from './src/core.js'

/**
 * Loads smoke.wasm and resolves to the namespace { Node, PageHub, NetworkHub, Socket, SocketServer, Database }.
 * options.wasm is where smoke.wasm is: a URL (string or URL), a Response, its bytes, or a compiled
 * WebAssembly.Module (or a promise of one of these); by default the file beside this module. Call it once per page.
 */
export function load(options = {}) {
  if (options === null || typeof options !== 'object') {
    return Promise.reject(new TypeError('smoke: load(options): options must be an object'))
  }
  return loadWasm(options.wasm ?? new URL('./dist/smoke.wasm', import.meta.url))
}
