// The tail of dist/smoke.js, the classic-script build: <script src=".../dist/smoke.js"></script> defines
// globalThis.Smoke at once, with Smoke.ready, a promise that resolves (to Smoke) when the classes are there:
//
//   await Smoke.ready
//   const node = new Smoke.Node()
//
// smoke.wasm is loaded from beside this script.
const base = (typeof document !== 'undefined' && document.currentScript && document.currentScript.src) || globalThis.location.href
const Smoke = {}
Smoke.ready = load(new URL('smoke.wasm', base)).then((namespace) => {
  Object.assign(Smoke, namespace)
  return Smoke
})
globalThis.Smoke = Smoke
