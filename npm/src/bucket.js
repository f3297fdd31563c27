// Smoke in the browser, the file bucket: new Bucket(name), files of any size in IndexedDB (through Go's
// pkg/idb/bucket; see wasm/bucket_js.go in the Go module), and bucket.serve(req, res, key) to serve one over REST.
//
// The bytes stay in JavaScript: what is written is cut here into Blobs of CHUNK bytes (a Blob to write is sliced,
// unread), handed to Go a few per call, and stored as they are; Go keeps the layout (which chunks make a file, the
// atomic switch from the old content to the new). A read asks Go for a plan (the chunk parts of a byte range), then
// for the chunks, which come back as the Blobs IndexedDB made, and reads only the bytes asked for. So a file of any
// size is written and read a few MiB at a time.
//
// Like core.js, this file is the source of both builds: index.js reaches it through core.js's import, and
// dist/smoke.js inlines it with the `export ` keywords stripped. So: `export` only at the start of a line, before
// `function`, and nothing else in this file may start a line with `export ` or `import `.

import { smokeError, argError } from './errors.js'

/** The size of a chunk (Go's bucket.ChunkSize), and how many chunks one call stores or reads. */
const CHUNK = 1 << 20
const CHUNKS_PER_CALL = 4

/**
 * Makes the Bucket class over one native object. ctx holds core.js's private pieces: native and promised.
 */
export function bucketClasses(ctx) {
  const { native, promised } = ctx
  const encoder = new TextEncoder()

  const keyOf = (key, what) => {
    if (typeof key !== 'string' || key === '') {
      throw smokeError('ERR_INVALID_KEY', `bucket.${what}: the key must be a non-empty string, got ${key === '' ? "''" : typeof key}`, TypeError)
    }
    return key
  }
  const offsetOf = (n, name, what) => {
    if (n === undefined) return undefined
    if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw smokeError('ERR_INVALID_ARG_TYPE', `bucket.${what}: ${name} must be an integer, got ${n}`, TypeError)
    if (n < 0) throw smokeError('ERR_OUT_OF_RANGE', `bucket.${what}: ${name} must not be negative, got ${n}`, RangeError)
    return n
  }

  // bytesOf returns a string as UTF-8, and any ArrayBufferView or ArrayBuffer as a Uint8Array over its memory.
  const bytesOf = (chunk, what) => {
    if (typeof chunk === 'string') return encoder.encode(chunk)
    if (chunk instanceof Uint8Array) return chunk
    if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk)
    throw smokeError('ERR_INVALID_ARG_TYPE', `bucket.${what} takes a string, an ArrayBuffer, a typed array, a Blob or a ReadableStream, got ${chunk === null ? 'null' : typeof chunk}`, TypeError)
  }

  /**
   * Cuts what is written into Blobs of CHUNK bytes. Bytes are copied into a Blob when added (so the caller may
   * reuse its buffer), Blobs are sliced, unread.
   */
  class Chunker {
    #parts = [] // Blobs of the chunk being filled
    #size = 0 // its bytes
    #full = [] // full chunks, not handed on yet
    add(piece) {
      const len = piece instanceof Blob ? piece.size : piece.length
      for (let at = 0; at < len;) {
        const n = Math.min(CHUNK - this.#size, len - at)
        this.#parts.push(piece instanceof Blob ? piece.slice(at, at + n) : new Blob([piece.subarray(at, at + n)]))
        this.#size += n
        at += n
        if (this.#size === CHUNK) this.#cut()
      }
    }
    #cut() {
      if (this.#size === 0) return
      this.#full.push(this.#parts.length === 1 ? this.#parts[0] : new Blob(this.#parts))
      this.#parts = []
      this.#size = 0
    }
    /** The full chunks, CHUNKS_PER_CALL at a time (all of them, and the short last one, when end is set). */
    *take(end) {
      if (end) this.#cut()
      while (this.#full.length >= CHUNKS_PER_CALL || (end && this.#full.length > 0)) {
        yield this.#full.splice(0, CHUNKS_PER_CALL)
      }
    }
  }

  // pour writes data into the write w, cut into chunks as the puts keep up: bytes and Blobs (sliced, unread) a
  // call's worth at a time, a stream as it is read.
  const pour = async (w, data, what) => {
    const chunker = new Chunker()
    const put = putter(w)
    const flush = async (end) => {
      for (const chunks of chunker.take(end)) await put(chunks)
    }
    if (data instanceof ReadableStream) {
      const reader = data.getReader()
      try {
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          chunker.add(value instanceof Blob ? value : bytesOf(value, what))
          await flush(false)
        }
      } catch (err) {
        reader.cancel(err).catch(() => {})
        throw err
      }
    } else {
      // Cut a call's worth at a time: a large buffer or Blob is never copied into chunks all at once.
      const whole = data instanceof Blob ? data : bytesOf(data, what)
      const len = whole instanceof Blob ? whole.size : whole.length
      const step = CHUNK * CHUNKS_PER_CALL
      for (let at = 0; at < len; at += step) {
        chunker.add(whole instanceof Blob ? whole.slice(at, at + step) : whole.subarray(at, at + step))
        await flush(false)
      }
    }
    await flush(true)
    await put()
  }

  // putter returns put(chunks) for the write w: it hands chunks to Go once the call before has stored its own, and
  // resolves as soon as it has, so that the next chunks are cut (copied into Blobs) while these are being stored:
  // one call in flight at a time, in order. put() with no chunks waits for the last call; a failed call fails the
  // next put.
  const putter = (w) => {
    let last = Promise.resolve()
    return async (chunks) => {
      await last
      if (chunks === undefined) return
      last = native.bucketPut(w, chunks)
      last.catch(() => {}) // awaited by the next put
    }
  }

  const checkData = (data, what) => {
    if (!(data instanceof ReadableStream) && !(data instanceof Blob)) bytesOf(typeof data === 'string' ? '' : data, what)
  }

  // INM and If-Range values: a list of entity tags, or *.
  const tagsOf = (header) => String(header).split(',').map((t) => t.trim().replace(/^W\//, ''))

  // rangeOf reads a Range header for a file of size bytes: [start, end) for one satisfiable range, 'unsatisfiable',
  // or null for no range to honour (none, another unit, several ranges, or a malformed one: the whole file is sent).
  const rangeOf = (header, size) => {
    const m = /^bytes=(\d*)-(\d*)$/.exec(String(header).trim())
    if (m === null || (m[1] === '' && m[2] === '')) return null
    if (m[1] === '') {
      const n = Number(m[2])
      if (n === 0 || size === 0) return 'unsatisfiable'
      return [Math.max(size - n, 0), size]
    }
    const start = Number(m[1])
    const last = m[2] === '' ? Infinity : Number(m[2])
    if (last < start) return null
    if (start >= size) return 'unsatisfiable'
    return [start, Math.min(last + 1, size)]
  }

  /**
   * A bucket of files in the page's IndexedDB: a key (any non-empty string; '/' makes "directories" for list) names
   * a file of any size, kept in chunks of 1 MiB, so that no file is ever held whole in memory. A write replaces a
   * file atomically: a write that fails or is aborted leaves the old content, and a reader never sees a mix.
   */
  class Bucket {
    #id
    constructor(name) {
      if (typeof name !== 'string' || name === '') throw argError('new Bucket(name): name must be a non-empty string')
      this.#id = native.bucketOpen(name)
      Object.defineProperty(this, 'name', { value: name, enumerable: true })
    }
    /** Deletes the bucket name with all its files. */
    static drop(name) { return promised(() => native.bucketDrop(String(name))) }

    async #write(key, data, append, what) {
      keyOf(key, what)
      checkData(data, what)
      const w = await native.bucketWrite(this.#id, key, append)
      try {
        await pour(w, data, what)
      } catch (err) {
        await native.bucketAbort(w).catch(() => {})
        throw err
      }
      return native.bucketCommit(w)
    }
    /**
     * Writes data (a string as UTF-8, bytes, a Blob or a ReadableStream of them) as the content of the file key,
     * replacing the old content once all of it is stored. Resolves with the file's info.
     */
    write(key, data) { return promised(() => this.#write(key, data, false, 'write')) }
    /** Adds data to the end of the file key (creating it), atomically. Resolves with the file's info. */
    append(key, data) { return promised(() => this.#write(key, data, true, 'append')) }

    /** The content of the file key: bytes, or text decoded with encoding ('utf-8', ...). ERR_NOT_FOUND if none. */
    read(key, encoding) {
      return promised(async () => {
        if (encoding !== undefined && typeof encoding !== 'string') throw smokeError('ERR_INVALID_ARG_TYPE', `bucket.read: encoding must be a string, got ${typeof encoding}`, TypeError)
        const decoder = encoding === undefined ? undefined : new TextDecoder(encoding)
        const bytes = new Uint8Array(await (await this.#blob(key, 'read')).arrayBuffer())
        return decoder === undefined ? bytes : decoder.decode(bytes)
      })
    }
    /** The content of the file key as a Blob, made of the stored chunks without reading them. */
    readBlob(key, type) { return promised(() => this.#blob(key, 'readBlob', type)) }
    async #blob(key, what, type) {
      keyOf(key, what)
      const plan = await native.bucketPlan(this.#id, key, 0, -1)
      const parts = []
      for (let i = 0; i < plan.chunks.length; i += 64) {
        for (const b of await native.bucketChunks(this.#id, plan.chunks.slice(i, i + 64))) parts.push(b)
      }
      return new Blob(parts, type === undefined ? undefined : { type: String(type) })
    }

    /**
     * The bytes [start, end) of the file key (as Blob.slice: end left out or beyond the file means to its end) as
     * a ReadableStream of Uint8Arrays, up to 1 MiB each, read as the stream is consumed. A start beyond the end of
     * the file fails the stream with a RangeError (ERR_OUT_OF_RANGE); a missing file with ERR_NOT_FOUND.
     */
    readable(key, start, end) {
      keyOf(key, 'readable')
      start = offsetOf(start, 'start', 'readable') ?? 0
      end = offsetOf(end, 'end', 'readable')
      if (end !== undefined && end < start) throw smokeError('ERR_OUT_OF_RANGE', `bucket.readable: end ${end} is before start ${start}`, RangeError)
      return this.#stream(key, start, end ?? -1)
    }
    // #stream reads [start, end) (end -1: to the end), failing with ERR_CHANGED if etag is given and the file's
    // content is not that one (bucket.serve sent its head for it).
    #stream(key, start, end, etag) {
      const id = this.#id
      let plan
      let i = 0
      let reads = [] // the chunks being read: promises of their bytes
      return new ReadableStream({
        async pull(controller) {
          if (plan === undefined) {
            plan = await native.bucketPlan(id, key, start, end)
            if (etag !== undefined && plan.info.etag !== etag) throw smokeError('ERR_CHANGED', `bucket: ${key} changed while it was served`)
          }
          if (i >= plan.chunks.length) {
            controller.close()
            return
          }
          if (reads.length === 0) {
            // The chunks of one call are read at once, so that the disk is busy while the stream's reader works
            // on the first: CHUNKS_PER_CALL MiB at most in memory.
            const blobs = await native.bucketChunks(id, plan.chunks.slice(i, i + CHUNKS_PER_CALL))
            reads = blobs.map((blob, k) => blob.slice(plan.from[i + k], plan.to[i + k]).arrayBuffer())
            reads.forEach((r) => r.catch(() => {})) // awaited in turn below; one that fails early is not unhandled
          }
          let bytes
          try {
            bytes = new Uint8Array(await reads.shift())
          } catch (err) {
            throw smokeError('ERR_CHANGED', `bucket: ${key} changed while it was read (${err && err.name})`)
          }
          i++
          controller.enqueue(bytes)
        },
      }, { highWaterMark: 1 })
    }

    /**
     * A WritableStream to the file key (strings, bytes or Blobs): the content replaces the old one when the stream
     * closes, and not before; aborting it, or a failed write, leaves the old content.
     */
    writable(key) {
      keyOf(key, 'writable')
      const id = this.#id
      const chunker = new Chunker()
      let w
      let putChunks
      const put = async (end) => {
        for (const chunks of chunker.take(end)) await putChunks(chunks)
        if (end) await putChunks()
      }
      return new WritableStream({
        async start() {
          w = await native.bucketWrite(id, key, false)
          putChunks = putter(w)
        },
        async write(chunk) {
          try {
            chunker.add(chunk instanceof Blob ? chunk : bytesOf(chunk, 'writable'))
            await put(false)
          } catch (err) {
            // The stream is errored now, and an errored stream's abort() never reaches the sink: drop the write here.
            await native.bucketAbort(w).catch(() => {})
            throw err
          }
        },
        async close() {
          await put(true)
          await native.bucketCommit(w)
        },
        async abort() { await native.bucketAbort(w) },
      })
    }

    /** Whether the file key exists. */
    exists(key) { return promised(async () => (await native.bucketInfo(this.#id, [keyOf(key, 'exists')]))[0] !== undefined) }

    /**
     * { key, size, created, updated, etag } of the file key (ERR_NOT_FOUND if there is none); given an array of
     * keys, an array of the same length, with undefined for each key that names no file. Read in one transaction.
     */
    info(keys) {
      return promised(async () => {
        if (Array.isArray(keys)) {
          keys.forEach((k) => keyOf(k, 'info'))
          return native.bucketInfo(this.#id, keys.slice())
        }
        const [info] = await native.bucketInfo(this.#id, [keyOf(keys, 'info')])
        if (info === undefined) throw smokeError('ERR_NOT_FOUND', `bucket ${this.name}: no file ${keys}`)
        return info
      })
    }

    /**
     * The keys that start with prefix, in order, S3-like: with a delimiter, keys that have it after the prefix are
     * listed once, as their common prefix (up to and including the delimiter), in prefixes.
     * list('photos/', '/') → { keys: ['photos/a.jpg'], prefixes: ['photos/2024/'] }.
     */
    list(prefix = '', delimiter = '') {
      return promised(() => {
        if (typeof prefix !== 'string') throw smokeError('ERR_INVALID_ARG_TYPE', `bucket.list: prefix must be a string, got ${typeof prefix}`, TypeError)
        if (typeof delimiter !== 'string') throw smokeError('ERR_INVALID_ARG_TYPE', `bucket.list: delimiter must be a string, got ${typeof delimiter}`, TypeError)
        return native.bucketList(this.#id, prefix, delimiter)
      })
    }

    /** Deletes the file key; resolves whether there was one. */
    delete(key) { return promised(() => native.bucketDelete(this.#id, keyOf(key, 'delete'))) }

    /**
     * Serves the file key as the response to req (a REST request of this Smoke), as express's res.sendFile does:
     * a strong ETag (the content's version) with If-None-Match (304), Range with If-Range (206 with
     * Content-Range; 416 for a range that starts beyond the end), HEAD, Last-Modified, and Content-Type (the type
     * option, else application/octet-stream). A missing file is a 404. Resolves once the response is sent; the
     * body streams from the bucket a chunk at a time. Use it in a route:
     *
     *   server.get('/files/:name', (req, res) => bucket.serve(req, res, req.params.name))
     */
    serve(req, res, key, options = {}) {
      return promised(async () => {
        keyOf(key, 'serve')
        let plan
        try {
          plan = await native.bucketPlan(this.#id, key, 0, 0)
        } catch (err) {
          if (err.code !== 'ERR_NOT_FOUND') throw err
          await res.status(404).text('Not Found')
          return
        }
        const { size, etag, updated } = plan.info
        const tag = `"${etag}"`
        res.set('ETag', tag)
        res.set('Accept-Ranges', 'bytes')
        res.set('Last-Modified', updated.toUTCString())
        if (options.type !== undefined) res.set('Content-Type', String(options.type))
        else if (res.get('content-type') === undefined) res.set('Content-Type', 'application/octet-stream')
        const inm = req.get('if-none-match')
        if (inm !== undefined && tagsOf(inm).some((t) => t === tag || t === '*')) {
          res.removeHeader('Content-Type')
          await res.status(304).end()
          return
        }
        let [start, end] = [0, size]
        const range = req.get('range')
        const ifRange = req.get('if-range')
        if (range !== undefined && (ifRange === undefined || ifRange.trim() === tag)) {
          const r = rangeOf(range, size)
          if (r === 'unsatisfiable') {
            res.set('Content-Range', `bytes */${size}`)
            await res.status(416).end()
            return
          }
          if (r !== null) {
            [start, end] = r
            res.status(206).set('Content-Range', `bytes ${start}-${end - 1}/${size}`)
          }
        }
        res.set('Content-Length', String(end - start))
        if (req.method === 'HEAD' || end === start) {
          await res.end()
          return
        }
        try {
          await res.send(this.#stream(key, start, end, etag))
        } catch (err) {
          // A client that goes before the end (a download paused, or cut to be resumed with a Range) is no failure.
          if (err?.code !== 'ERR_ABORTED') throw err
        }
      })
    }

    /** Closes the bucket. */
    dispose() { return promised(() => native.bucketClose(this.#id)) }
  }

  return { Bucket }
}
