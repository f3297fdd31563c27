// run.js runs one Go wasm program for browser.RunWasm and reports to the
// host through the DevTools binding smokeWasmHost, which takes one string.
// Each report is a JSON object:
//
//   {"out": "<base64>"}  bytes the program wrote to fd 1 or 2
//   {"exit": code}        the program exited
//   {"fatal": "<text>"}   a JavaScript exception killed the program
//
// Bindings deliver their calls in order, so output arrives before the exit.
"use strict";

(() => {
	const host = globalThis.smokeWasmHost;
	const report = (msg) => host(JSON.stringify(msg));

	const base64 = (bytes) => {
		// String.fromCharCode takes the bytes as arguments; chunk them to
		// stay below the limit on the number of arguments.
		let s = "";
		for (let i = 0; i < bytes.length; i += 0x8000) {
			s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
		}
		return btoa(s);
	};

	const fatal = (err) => {
		report({ fatal: String((err && err.stack) || err) });
	};

	globalThis.smokeRunWasm = async (cfg) => {
		// wasm_exec.js decodes output as UTF-8 and holds it until a newline
		// for console.log. go test parses this output, and a test can print a
		// partial line or any byte, so pass the bytes on as they are, stdout
		// and stderr in one stream as a terminal would show them.
		globalThis.fs.writeSync = (fd, buf) => {
			report({ out: base64(buf) });
			return buf.length;
		};

		const go = new Go();
		go.argv = cfg.argv;
		go.env = cfg.env;
		go.exit = (code) => report({ exit: code });

		// The Go runtime never lets an exception out of resume, not even for
		// a panic: it prints the panic and exits. One that escapes means the
		// instance trapped or its JavaScript side broke, and the program can
		// never exit by itself. It would only reach the page's error handler,
		// as an uncaught exception of whatever event called into Go.
		const resume = go._resume.bind(go);
		go._resume = () => {
			try {
				resume();
			} catch (err) {
				if (!go.exited) {
					fatal(err);
				}
				throw err;
			}
		};

		try {
			const { instance } = await WebAssembly.instantiateStreaming(fetch(cfg.wasm), go.importObject);
			await go.run(instance);
		} catch (err) {
			fatal(err);
		}
	};
})();
