// raw.js is the baseline of the sockets section's browser figures: plain JavaScript, two RTCPeerConnections in
// the page, in-page trickle signalling, one ordered datachannel. main_js.go evaluates it once; it defines
// globalThis.smokeRawBench and nothing else.
"use strict";

globalThis.smokeRawBench = (() => {
	// The same send watermarks as pkg/node's datachannel link (dclink.go): the sender waits while bufferedAmount
	// is above HIGH and wakes on bufferedamountlow at LOW.
	const HIGH = 4 << 20;
	const LOW = 1 << 20;

	// trickle sends from's ICE candidates to to, holding them until to has its remote description. It returns
	// the function that says that moment has come.
	const trickle = (from, to) => {
		const held = [];
		let ready = false;
		const add = (c) => to.addIceCandidate(c).catch(() => {}); // a pair being closed drops its last ones
		from.onicecandidate = (e) => {
			if (!e.candidate) {
				return;
			}
			if (ready) {
				add(e.candidate);
			} else {
				held.push(e.candidate);
			}
		};
		return () => {
			ready = true;
			held.splice(0).forEach(add);
		};
	};

	// open makes a new pair and resolves when the offerer's datachannel opens, with the milliseconds that took
	// from creating the first RTCPeerConnection (creation, offer/answer, ICE, DTLS, SCTP, channel open).
	const open = async () => {
		const t0 = performance.now();
		const a = new RTCPeerConnection();
		const b = new RTCPeerConnection();
		const toB = trickle(a, b);
		const toA = trickle(b, a);
		const dcA = a.createDataChannel("bench", { ordered: true });
		dcA.binaryType = "arraybuffer";
		const opened = new Promise((resolve, reject) => {
			dcA.onopen = resolve;
			dcA.onclose = () => reject(new Error("datachannel closed before it opened"));
		});
		const remote = new Promise((resolve) => {
			b.ondatachannel = (e) => resolve(e.channel);
		});
		await a.setLocalDescription();
		await b.setRemoteDescription(a.localDescription);
		toB();
		await b.setLocalDescription();
		await a.setRemoteDescription(b.localDescription);
		toA();
		await opened;
		const ms = performance.now() - t0;
		dcA.onclose = null;
		const dcB = await remote;
		dcB.binaryType = "arraybuffer";
		const id = nextID++;
		pairs.set(id, { a, b, dcA, dcB });
		return { ms, id };
	};

	const pairs = new Map();
	let nextID = 1;

	const close = (id) => {
		const p = pairs.get(id);
		if (p) {
			pairs.delete(id);
			p.a.close();
			p.b.close();
		}
	};

	// throughput sends total bytes as chunk-byte messages from a to b and resolves with the milliseconds from the
	// first send until b has received the last byte.
	const throughput = async (id, chunk, total) => {
		const { dcA, dcB } = pairs.get(id);
		const buf = new Uint8Array(chunk);
		for (let i = 0; i < chunk; i++) {
			buf[i] = i * 7;
		}
		let received = 0;
		const done = new Promise((resolve, reject) => {
			dcB.onmessage = (e) => {
				received += e.data.byteLength;
				if (received >= total) {
					resolve();
				}
			};
			dcB.onclose = () => reject(new Error(`receiving channel closed after ${received} bytes`));
		});
		dcA.bufferedAmountLowThreshold = LOW;
		const low = () => new Promise((resolve) => dcA.addEventListener("bufferedamountlow", resolve, { once: true }));
		const t0 = performance.now();
		for (let sent = 0; sent < total; ) {
			while (dcA.bufferedAmount > HIGH) {
				await low();
			}
			const n = Math.min(chunk, total - sent);
			dcA.send(n === chunk ? buf : buf.subarray(0, n));
			sent += n;
		}
		await done;
		const ms = performance.now() - t0;
		dcB.onmessage = null;
		dcB.onclose = null;
		if (received !== total) {
			throw new Error(`received ${received} bytes, sent ${total}`);
		}
		return ms;
	};

	// Tracing, a diagnostic for the latency figure: after installTrace, every RTCPeerConnection made in the page
	// (pion's wasm backend makes its own through window.RTCPeerConnection) records what happens to it, with times
	// from traceStart, until traceStop returns the record.
	const tr = { on: false, t0: 0, events: [], ids: 0 };
	const rec = (pc, what) => {
		if (tr.on) {
			tr.events.push({ t: performance.now() - tr.t0, pc: pc.smokeTraceID || 0, what });
		}
	};
	const watchChannel = (pc, dc, side) => {
		dc.addEventListener("open", () => rec(pc, side + " open"));
		dc.addEventListener("message", () => rec(pc, side + " message"), { once: true });
	};
	const installTrace = () => {
		const Orig = globalThis.RTCPeerConnection;
		if (Orig.smokeTraced) {
			return;
		}
		class Traced extends Orig {
			constructor(...args) {
				super(...args);
				this.smokeTraceID = ++tr.ids;
				rec(this, "new");
				this.addEventListener("negotiationneeded", () => rec(this, "negotiationneeded"));
				this.addEventListener("icecandidate", (e) => rec(this, e.candidate ? "candidate" : "gathered"));
				this.addEventListener("connectionstatechange", () => rec(this, "connection " + this.connectionState));
				this.addEventListener("datachannel", (e) => {
					rec(this, "datachannel");
					watchChannel(this, e.channel, "remote");
				});
			}
		}
		Traced.smokeTraced = true;
		for (const m of ["createOffer", "createAnswer", "setLocalDescription", "setRemoteDescription", "addIceCandidate"]) {
			const f = Orig.prototype[m];
			Traced.prototype[m] = function (...args) {
				rec(this, m + "(");
				const p = f.apply(this, args);
				p.then(() => rec(this, m + ")"), () => rec(this, m + " failed"));
				return p;
			};
		}
		const createDataChannel = Orig.prototype.createDataChannel;
		Traced.prototype.createDataChannel = function (...args) {
			rec(this, "createDataChannel");
			const dc = createDataChannel.apply(this, args);
			watchChannel(this, dc, "local");
			return dc;
		};
		globalThis.RTCPeerConnection = Traced;
	};
	const traceStart = () => {
		tr.on = true;
		tr.events = [];
		tr.t0 = performance.now();
	};
	const traceMark = (what) => rec({}, what);
	const traceStop = () => {
		tr.on = false;
		return tr.events.map((e) => `${e.t.toFixed(1)} pc${e.pc} ${e.what}`).join("\n");
	};

	return { open, close, throughput, installTrace, traceStart, traceMark, traceStop, high: HIGH, low: LOW };
})();
