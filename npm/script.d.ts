// Types of dist/smoke.js, the classic-script build: <script src=".../dist/smoke.js"></script> defines
// globalThis.Smoke at once; its classes are there when Smoke.ready resolves. Reference these types with
// /// <reference types="@smokenet/smoke/script" />.
import type { Smoke as Namespace } from './index.js'

declare global {
  var Smoke: Partial<Namespace> & {
    /** Resolves to Smoke itself, with its classes, once smoke.wasm has loaded. */
    readonly ready: Promise<Namespace & { readonly ready: Promise<Namespace> }>
  }
}

export {}
