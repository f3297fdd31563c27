// probe.js times a cold start for smoke-bench's wasm section. It runs before the page's module script and records
// performance.now() marks (ms since navigation) at each step, without changing what the loader does:
//
//   fetch         the loader asks for the .wasm
//   response      its headers arrived
//   compiled      WebAssembly.compileStreaming settled (download overlaps compilation)
//   instantiated  WebAssembly.instantiate settled
//   run           go.run was called: the Go runtime starts, then package init
//   main          smoke.wasm's main deleted the loader's hand-off global (the first thing main does)
//   native        main handed the native object to the loader
//
// The page adds start, loaded, node, address (smoke) or exited (the empty program), and calls done().
//
// instantiateStreaming is compileStreaming followed by instantiate (the spec defines it so), and is split into the
// two here so that they show apart; the counts say whether the loader streamed.
"use strict";

(() => {
  const marks = {};
  const mark = (name) => {
    if (!(name in marks)) marks[name] = performance.now();
  };
  const counts = { instantiateStreaming: 0, instantiateBytes: 0 };
  let settle;
  const result = new Promise((resolve) => { settle = resolve; });
  globalThis.smokeProbe = {
    mark,
    done: (extra) => settle({ marks, counts, ...extra }),
    fail: (err) => settle({ error: String((err && err.stack) || err), marks, counts }),
    result,
  };

  const fetch = globalThis.fetch;
  globalThis.fetch = function (input, init) {
    const url = String(input instanceof Request ? input.url : input);
    if (!url.endsWith('.wasm')) return fetch.call(this, input, init);
    mark('fetch');
    return fetch.call(this, input, init).then((r) => { mark('response'); return r; });
  };

  // The loader compiles with compileStreaming and instantiates the Module (npm's index.js: compiling starts before
  // the package's other modules load), or calls instantiateStreaming (the classic script, Go's own recipe), or
  // instantiates bytes. Streaming counts both streaming paths.
  const instantiate = WebAssembly.instantiate;
  const compileStreaming = WebAssembly.compileStreaming;
  WebAssembly.compileStreaming = function (source) {
    counts.instantiateStreaming++;
    return compileStreaming.call(this, source).then((module) => { mark('compiled'); return module; });
  };
  WebAssembly.instantiate = function (source, imports) {
    if (!(source instanceof WebAssembly.Module)) {
      counts.instantiateBytes++;
      return instantiate.call(this, source, imports);
    }
    return instantiate.call(this, source, imports).then((instance) => { mark('instantiated'); return instance; });
  };
  WebAssembly.instantiateStreaming = async (source, imports) => {
    const module = await WebAssembly.compileStreaming(source);
    const instance = await WebAssembly.instantiate(module, imports);
    return { module, instance };
  };

  // wasm_exec.js assigns globalThis.Go once it runs: wrap run when it does.
  let Go;
  Object.defineProperty(globalThis, 'Go', {
    configurable: true,
    get: () => Go,
    set: (G) => {
      const run = G.prototype.run;
      G.prototype.run = function (instance) {
        mark('run');
        return run.call(this, instance);
      };
      Go = G;
    },
  });

  // The hand-off (npm/src/core.js, wasm/main_js.go): the loader defines a function under a __smoke_ name, main
  // deletes it with Reflect.deleteProperty, then calls it with the native object.
  const handOff = (key) => typeof key === 'string' && key.startsWith('__smoke_');
  const defineProperty = Object.defineProperty;
  Object.defineProperty = function (object, key, desc) {
    if (object === globalThis && handOff(key) && typeof desc.value === 'function') {
      const receive = desc.value;
      desc = { ...desc, value: (native) => { mark('native'); return receive(native); } };
    }
    return defineProperty.call(this, object, key, desc);
  };
  const deleteProperty = Reflect.deleteProperty;
  Reflect.deleteProperty = function (object, key) {
    if (object === globalThis && handOff(key)) mark('main');
    return deleteProperty.call(this, object, key);
  };
})();
