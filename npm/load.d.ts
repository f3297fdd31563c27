// Types of @smokenet/smoke/load: load() resolves to the same namespace the default entry exports.
import type * as Smoke from './index.js'

export interface LoadOptions {
  /**
   * Where smoke.wasm is: a URL, a Response, its bytes, or a compiled WebAssembly.Module, or a promise of one.
   * Default: dist/smoke.wasm beside the package.
   */
  wasm?:
    | string
    | URL
    | Response
    | ArrayBuffer
    | ArrayBufferView
    | WebAssembly.Module
    | Promise<Response | WebAssembly.Module>
}

/** The classes of Smoke, once smoke.wasm runs. */
export interface Namespace {
  Node: typeof Smoke.Node
  PageHub: typeof Smoke.PageHub
  NetworkHub: typeof Smoke.NetworkHub
  Socket: typeof Smoke.Socket
  SocketServer: typeof Smoke.SocketServer
  Database: typeof Smoke.Database
}

/** Loads smoke.wasm (once per page) and resolves to Smoke's classes. */
export declare function load(options?: LoadOptions): Promise<Namespace>
