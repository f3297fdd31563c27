// The ESM entry of Smoke. Importing it loads smoke.wasm (top-level await), so that
//
//   import { Node } from '@smokenet/smoke'
//   const node = new Node()
//
// works on the next line. Types: index.d.ts.

// Compiling smoke.wasm is most of the start-up, so it starts first, and the package's other modules load while it
// runs (static imports would load them before this line runs). A server that does not send application/wasm gets
// the Response handed to load(), which compiles the bytes instead.
const compiled = fetch(new URL('./dist/smoke.wasm', import.meta.url)).then((response) => {
  const type = (response.headers.get('Content-Type') || '').split(';')[0].trim().toLowerCase()
  const streaming = response.ok && type === 'application/wasm' && typeof WebAssembly.compileStreaming === 'function'
  return streaming ? WebAssembly.compileStreaming(response) : response
})
compiled.catch(() => {}) // load() reports a failure; this only keeps it from counting as unhandled meanwhile

const [{ load }] = await Promise.all([import('./src/core.js'), import('./dist/wasm_exec.js')])
const smoke = await load(compiled)

export const { Node, PageHub, NetworkHub, Socket, SocketServer, Database, Bucket } = smoke
export default smoke
