// The ESM entry of Smoke. Importing it loads smoke.wasm (top-level await), so that
//
//   import { Node } from '@smokenet/smoke'
//   const node = new Node()
//
// works on the next line. Types: index.d.ts.
import './dist/wasm_exec.js'
import { load } from './src/core.js'

const smoke = await load(new URL('./dist/smoke.wasm', import.meta.url))

export const { Node, PageHub, NetworkHub, Socket, SocketServer } = smoke
export default smoke
