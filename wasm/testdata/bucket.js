// Browser-side cases of the file bucket (new Bucket, bucket.serve), driven by TestBucket (bucket_test.go), against
// the page's real IndexedDB: run(smoke) runs each case in turn and resolves to [{ name, ok, error, ms }]. Each case
// uses a bucket of its own name, dropped at its end. bigData and digest are shared with TestBucketLarge.

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const MiB = 1 << 20

function assert(cond, message) {
  if (!cond) throw new Error(message)
}

function assertEq(got, want, what) {
  const g = JSON.stringify(got)
  const w = JSON.stringify(want)
  if (g !== w) throw new Error(`${what}: got ${g}, want ${w}`)
}

function throws(f, Class, code, what) {
  try {
    f()
  } catch (err) {
    assert(err instanceof Class, `${what}: threw ${err}, not a ${Class.name}`)
    assertEq(err.code, code, `${what}: code of ${err.message}`)
    return
  }
  throw new Error(`${what}: did not throw`)
}

async function rejects(p, code, what, Class = Error) {
  try {
    await p
  } catch (err) {
    assert(err instanceof Class, `${what}: rejected with ${err}, not a ${Class.name}`)
    assertEq(err.code, code, `${what}: code of ${err.message}`)
    return err
  }
  throw new Error(`${what}: did not reject`)
}

let seq = 0
const fresh = (smoke) => {
  const name = `buckettest-${Date.now()}-${seq++}`
  return [new smoke.Bucket(name), name]
}
const done = async (smoke, b, name) => {
  await b.dispose()
  await smoke.Bucket.drop(name)
}

// block(i) is the i-th 64 KiB block of a deterministic pseudo-random byte sequence (xorshift32, seeded by i), so
// any range of it can be made again to compare with.
const BLOCK = 64 * 1024
export function block(i) {
  const words = new Uint32Array(BLOCK / 4)
  let x = (i * 2654435761 + 1) >>> 0 || 1
  for (let k = 0; k < words.length; k++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    words[k] = x
  }
  return new Uint8Array(words.buffer)
}

// bytesAt returns the bytes [start, end) of the sequence.
export function bytesAt(start, end) {
  const out = new Uint8Array(end - start)
  for (let at = start; at < end;) {
    const i = Math.floor(at / BLOCK)
    const b = block(i)
    const off = at - i * BLOCK
    const n = Math.min(BLOCK - off, end - at)
    out.set(b.subarray(off, off + n), at - start)
    at += n
  }
  return out
}

// bigData returns a ReadableStream of the first size bytes of the sequence, made as it is read.
export function bigData(size) {
  let i = 0
  return new ReadableStream({
    pull(c) {
      if (i * BLOCK >= size) {
        c.close()
        return
      }
      const b = block(i)
      const n = Math.min(BLOCK, size - i * BLOCK)
      c.enqueue(n === BLOCK ? b : b.subarray(0, n))
      i++
    },
  }, { highWaterMark: 1 })
}

// digest hashes what it is fed, in any pieces: SHA-256 of each MiB, then SHA-256 of those digests. So a stream is
// hashed without being held whole, and the same bytes cut differently give the same digest. add returns a promise
// that resolves once at most two digests are still being computed: WebCrypto hashes on another thread, and a caller
// measuring memory must await it, or a busy machine queues MiB after MiB of copies (TestBucketLarge once counted
// +55 MiB of them against the bucket).
export function digest() {
  const buf = new Uint8Array(MiB)
  let fill = 0
  const sums = []
  const flush = () => {
    if (fill > 0) sums.push(crypto.subtle.digest('SHA-256', buf.slice(0, fill)))
    fill = 0
  }
  return {
    add(bytes) {
      for (let at = 0; at < bytes.length;) {
        const n = Math.min(MiB - fill, bytes.length - at)
        buf.set(bytes.subarray(at, at + n), fill)
        fill += n
        at += n
        if (fill === MiB) flush()
      }
      return sums.length > 2 ? sums[sums.length - 3].then(() => {}) : Promise.resolve()
    },
    async hex() {
      flush()
      const all = await Promise.all(sums)
      const cat = new Uint8Array(all.length * 32)
      all.forEach((d, i) => cat.set(new Uint8Array(d), i * 32))
      return [...new Uint8Array(await crypto.subtle.digest('SHA-256', cat))].map((b) => b.toString(16).padStart(2, '0')).join('')
    },
  }
}

// readAll reads a ReadableStream of bytes into one Uint8Array.
async function readAll(stream) {
  const parts = []
  let n = 0
  const reader = stream.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    assert(value instanceof Uint8Array, `a chunk of the stream is ${Object.prototype.toString.call(value)}`)
    assert(value.length <= MiB, `a chunk of ${value.length} bytes`)
    parts.push(value)
    n += value.length
  }
  const out = new Uint8Array(n)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

// stored counts the records of the bucket's stores, read with plain IndexedDB: what is left behind shows there.
async function stored(name) {
  const req = (r) => new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result)
    r.onerror = () => reject(r.error)
  })
  const db = await req(indexedDB.open(`smoke-bucket:${name}`))
  try {
    const tx = db.transaction(['chunks', 'pending', 'files'], 'readonly')
    const [chunks, pending, files] = await Promise.all(['chunks', 'pending', 'files'].map((s) => req(tx.objectStore(s).count())))
    return { chunks, pending, files }
  } finally {
    db.close()
  }
}

// deadWrite leaves in the bucket what a tab closed in the middle of a write leaves: a pending entry of a page that
// has gone (no one holds its lock) and some chunks.
async function deadWrite(name) {
  const req = (r) => new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result)
    r.onerror = () => reject(r.error)
  })
  const db = await req(indexedDB.open(`smoke-bucket:${name}`))
  const tx = db.transaction(['chunks', 'pending'], 'readwrite')
  tx.objectStore('pending').put({ file: 'f', page: 'a-page-that-has-gone', started: Date.now() }, 'deadwrite')
  for (let i = 0; i < 3; i++) tx.objectStore('chunks').put(new Blob([block(i)]), `deadwrite/${String(i).padStart(8, '0')}`)
  await new Promise((resolve, reject) => {
    tx.oncomplete = resolve
    tx.onabort = () => reject(tx.error)
  })
  db.close()
}

const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i])
const text = (s) => new TextEncoder().encode(s)

const cases = {
  async 'write, read as bytes, text and Blob, info, exists, delete'(smoke) {
    const [b, name] = fresh(smoke)
    const before = Date.now()
    const info = await b.write('a.txt', 'héllo wörld')
    assertEq([info.key, info.size], ['a.txt', 13], 'write resolves with the info')
    assert(info.created instanceof Date && info.updated instanceof Date, 'dates')
    assert(info.created.getTime() >= before - 1000 && info.created.getTime() <= Date.now() + 1000, `created ${info.created}`)
    assertEq(await b.read('a.txt', 'utf-8'), 'héllo wörld', 'read as text')
    assert(same(await b.read('a.txt'), text('héllo wörld')), 'read as bytes')
    const blob = await b.readBlob('a.txt', 'text/plain')
    assertEq([blob.size, blob.type, await blob.text()], [13, 'text/plain', 'héllo wörld'], 'readBlob')
    assertEq(await b.exists('a.txt'), true, 'exists')
    assertEq(await b.exists('b.txt'), false, 'exists of a missing file')
    const again = await b.write('a.txt', new Uint8Array([1, 2, 3]))
    assertEq([again.size, again.created.getTime()], [3, info.created.getTime()], 'a replace keeps created')
    assert(again.etag !== info.etag, 'a replace changes the etag')
    await b.write('c.bin', new Float32Array([1.5]).buffer)
    await b.write('d.bin', new Blob(['blob ', new Uint8Array([65])]))
    assertEq(await b.read('d.bin', 'utf-8'), 'blob A', 'a Blob written')
    const infos = await b.info(['a.txt', 'nope', 'c.bin'])
    assertEq([infos.length, infos[0].size, infos[1], infos[2].size], [3, 3, undefined, 4], 'info of an array')
    assertEq((await b.info('a.txt')).etag, again.etag, 'info of a key')
    await rejects(b.info('nope'), 'ERR_NOT_FOUND', 'info of a missing file')
    await rejects(b.read('nope'), 'ERR_NOT_FOUND', 'read of a missing file')
    await rejects(b.readBlob('nope'), 'ERR_NOT_FOUND', 'readBlob of a missing file')
    await rejects(readAll(b.readable('nope')), 'ERR_NOT_FOUND', 'readable of a missing file')
    assertEq(await b.delete('a.txt'), true, 'delete')
    assertEq(await b.delete('a.txt'), false, 'delete again')
    assertEq(await b.exists('a.txt'), false, 'exists after delete')
    await b.write('empty', '')
    assertEq([(await b.info('empty')).size, (await b.read('empty')).length], [0, 0], 'an empty file')
    await done(smoke, b, name)
  },

  async 'files of several chunks: sizes around the chunk edges, read whole and in ranges'(smoke) {
    const [b, name] = fresh(smoke)
    for (const size of [MiB - 1, MiB, MiB + 1, 3 * MiB + 12345]) {
      const data = bytesAt(0, size)
      await b.write(`f${size}`, data)
      assert(same(await b.read(`f${size}`), data), `read of ${size} bytes`)
      assert(same(await readAll(b.readable(`f${size}`)), data), `readable of ${size} bytes`)
      const blob = await b.readBlob(`f${size}`)
      assert(same(new Uint8Array(await blob.arrayBuffer()), data), `readBlob of ${size} bytes`)
    }
    const size = 3 * MiB + 12345
    const data = bytesAt(0, size)
    const ranges = [[0, 0], [0, 1], [1, 2], [MiB - 1, MiB + 1], [MiB, 2 * MiB], [MiB - 5, 3 * MiB + 5], [size - 1, size],
      [size, size], [0, size], [2 * MiB + 7, undefined], [5, size + 1000], [undefined, undefined]]
    for (const [start, end] of ranges) {
      const got = await readAll(b.readable(`f${size}`, start, end))
      const want = data.slice(start ?? 0, Math.min(end ?? size, size))
      assert(same(got, want), `range [${start}, ${end}): ${got.length} bytes, want ${want.length}`)
    }
    await rejects(readAll(b.readable(`f${size}`, size + 1)), 'ERR_OUT_OF_RANGE', 'a start beyond the end', RangeError)
    throws(() => b.readable(`f${size}`, 10, 5), RangeError, 'ERR_OUT_OF_RANGE', 'end before start')
    throws(() => b.readable(`f${size}`, -1), RangeError, 'ERR_OUT_OF_RANGE', 'a negative start')
    throws(() => b.readable(`f${size}`, 1.5), TypeError, 'ERR_INVALID_ARG_TYPE', 'a fractional start')
    throws(() => b.readable(`f${size}`, '3'), TypeError, 'ERR_INVALID_ARG_TYPE', 'a string start')
    await done(smoke, b, name)
  },

  async 'append: to a missing file, small and large pieces, ranges across appends'(smoke) {
    const [b, name] = fresh(smoke)
    const first = await b.append('log', 'one,')
    assertEq(first.size, 4, 'append creates the file')
    await b.append('log', 'two,')
    await b.append('log', new Uint8Array(0))
    await b.append('log', text('three'))
    assertEq(await b.read('log', 'utf-8'), 'one,two,three', 'appended text')
    // Large appends: runs of full and short chunks, one after another.
    const parts = [bytesAt(0, MiB + 3), bytesAt(7, 10), bytesAt(100, 100 + 2 * MiB)]
    let all = new Uint8Array(0)
    for (const p of parts) {
      await b.append('big', p)
      const next = new Uint8Array(all.length + p.length)
      next.set(all)
      next.set(p, all.length)
      all = next
    }
    await b.append('big', bigData(MiB + 17))
    const tail = bytesAt(0, MiB + 17)
    const whole = new Uint8Array(all.length + tail.length)
    whole.set(all)
    whole.set(tail, all.length)
    assertEq((await b.info('big')).size, whole.length, 'size after appends')
    assert(same(await b.read('big'), whole), 'content after appends')
    for (const [s, e] of [[MiB, MiB + 10], [MiB + 2, MiB + 6], [0, whole.length], [MiB + 5, 3 * MiB + 20], [whole.length - 20, whole.length]]) {
      assert(same(await readAll(b.readable('big', s, e)), whole.slice(s, e)), `range [${s}, ${e}) across appends`)
    }
    const before = (await b.info('big')).etag
    await b.append('big', 'x')
    assert((await b.info('big')).etag !== before, 'an append changes the etag')
    // Appends that race: each is whole, in some order.
    await Promise.all(['a', 'b', 'c', 'd'].map((s) => b.append('race', s.repeat(1000))))
    const raced = await b.read('race', 'utf-8')
    assertEq([raced.length, [...'abcd'].every((s) => raced.includes(s.repeat(1000)))], [4000, true], 'racing appends')
    await done(smoke, b, name)
  },

  async 'list with prefix and delimiter'(smoke) {
    const [b, name] = fresh(smoke)
    const keys = ['a', 'docs/', 'docs/a.txt', 'docs/b/c.txt', 'docs/b/d.txt', 'docs/e/f/g', 'docsx', 'z/y', 'ü/1', 'ü/2']
    for (const k of keys) await b.write(k, k)
    assertEq(await b.list(), { keys, prefixes: [] }, 'list()')
    assertEq(await b.list('', '/'), { keys: ['a', 'docsx'], prefixes: ['docs/', 'z/', 'ü/'] }, "list('', '/')")
    assertEq(await b.list('docs/', '/'), { keys: ['docs/', 'docs/a.txt'], prefixes: ['docs/b/', 'docs/e/'] }, "list('docs/', '/')")
    assertEq(await b.list('docs/b'), { keys: ['docs/b/c.txt', 'docs/b/d.txt'], prefixes: [] }, "list('docs/b')")
    assertEq(await b.list('docs/b', '/'), { keys: [], prefixes: ['docs/b/'] }, "list('docs/b', '/')")
    assertEq(await b.list('docs'), { keys: keys.slice(1, 7), prefixes: [] }, "list('docs')")
    assertEq(await b.list('nothing'), { keys: [], prefixes: [] }, 'an empty list')
    assertEq(await b.list('ü/'), { keys: ['ü/1', 'ü/2'], prefixes: [] }, 'a prefix beyond ASCII')
    await b.delete('docs/a.txt')
    assertEq((await b.list('docs/', '/')).keys, ['docs/'], 'after a delete')
    // More keys than one read of the list takes.
    const writes = []
    for (let i = 0; i < 2100; i++) writes.push(b.write(`many/${String(i).padStart(4, '0')}`, ''))
    writes.push(b.write('many/zzzz', ''))
    await Promise.all(writes)
    const many = await b.list('many/')
    assertEq([many.keys.length, many.keys[0], many.keys[2100]], [2101, 'many/0000', 'many/zzzz'], 'a list of 2101 keys')
    await done(smoke, b, name)
  },

  async 'atomic replace: an aborted writable, a failed write and a failed stream leave the old content'(smoke) {
    const [b, name] = fresh(smoke)
    const old = bytesAt(0, 2 * MiB + 5)
    const oldInfo = await b.write('f', old)
    // A writable aborted after 6 MiB: the old content stays, and the stream's chunks are gone.
    const w = b.writable('f')
    const writer = w.getWriter()
    for (let i = 0; i < 96; i++) await writer.write(block(1000 + i)) // 6 MiB: a put is under way at the abort
    assert(same(await b.read('f'), old), 'content while a writable is open')
    await writer.abort(new Error('stop'))
    assert(same(await b.read('f'), old), 'content after the abort')
    assertEq((await b.info('f')).etag, oldInfo.etag, 'etag after the abort')
    assertEq(await stored(name), { chunks: 3, pending: 0, files: 1 }, 'records after the abort (the old content: 3 chunks)')
    // A writable closed: the new content replaces the old only then.
    const w2 = b.writable('f').getWriter()
    await w2.write('new ')
    await w2.write(new Uint8Array([99]))
    await w2.write(new Blob(['ontent']))
    assert(same(await b.read('f'), old), 'content before close')
    await w2.close()
    assertEq(await b.read('f', 'utf-8'), 'new content', 'content after close')
    await b.write('f', old)
    // A write whose stream fails midway.
    let n = 0
    const failing = new ReadableStream({
      pull(c) {
        if (n++ === 40) throw new Error('source failed')
        c.enqueue(block(n))
      },
    })
    const err = await b.write('f', failing).then(() => null, (e) => e)
    assert(err && err.message.includes('source failed'), `the write of a failing stream: ${err}`)
    assert(same(await b.read('f'), old), 'content after a failed write')
    // A write with a bad piece in its stream.
    const bad = new ReadableStream({ start(c) { c.enqueue(new Uint8Array(10)); c.enqueue(42); c.close() } })
    await rejects(b.write('f', bad), 'ERR_INVALID_ARG_TYPE', 'a stream with a number in it', TypeError)
    assert(same(await b.read('f'), old), 'content after a bad stream')
    // A writable given a bad chunk errors, and the content stays.
    const w3 = b.writable('f').getWriter()
    await w3.write(block(1))
    await rejects(w3.write({}), 'ERR_INVALID_ARG_TYPE', 'a writable given an object', TypeError)
    await w3.abort().catch(() => {})
    assert(same(await b.read('f'), old), 'content after a bad writable chunk')
    assertEq(await stored(name), { chunks: 3, pending: 0, files: 1 }, 'records after the failed writes')
    // A write cut short by a closed tab: the next bucket opened on the name collects what it left.
    await deadWrite(name)
    assertEq(await stored(name), { chunks: 6, pending: 1, files: 1 }, 'records a dead write left')
    const reopened = new smoke.Bucket(name)
    assert(same(await reopened.read('f'), old), 'content with a dead write pending')
    const start = Date.now()
    while ((await stored(name)).pending > 0 && Date.now() - start < 10000) await sleep(20)
    assertEq(await stored(name), { chunks: 3, pending: 0, files: 1 }, 'records once the dead write is collected')
    await reopened.dispose()
    // A write under way in this page is not collected by another bucket's open.
    const live = b.writable('f').getWriter()
    await live.write(block(3))
    await live.write(bytesAt(0, MiB))
    const other = new smoke.Bucket(name)
    await other.exists('f')
    await sleep(300)
    assertEq((await stored(name)).pending, 1, 'a live write stays pending when another bucket opens')
    await live.close()
    assertEq((await b.read('f')).length, MiB + BLOCK, 'the live write, committed')
    assertEq(await stored(name), { chunks: 2, pending: 0, files: 1 }, 'records after the live write')
    await other.dispose()
    await b.write('f', old)
    // A read that races a replace sees one content or fails with ERR_CHANGED; never a mix.
    const big = bytesAt(0, 6 * MiB)
    await b.write('r', big)
    const reading = readAll(b.readable('r')).then((got) => got, (e) => e)
    await b.write('r', bytesAt(MiB, 7 * MiB))
    const got = await reading
    assert(got instanceof Uint8Array ? same(got, big) || same(got, bytesAt(MiB, 7 * MiB)) : got.code === 'ERR_CHANGED',
      `a read racing a replace: ${got instanceof Uint8Array ? `${got.length} bytes of neither content` : got}`)
    await done(smoke, b, name)
  },

  async 'bad arguments are TypeErrors; dispose'(smoke) {
    throws(() => new smoke.Bucket(''), TypeError, 'ERR_INVALID_ARG_TYPE', 'new Bucket(\'\')')
    throws(() => new smoke.Bucket(3), TypeError, 'ERR_INVALID_ARG_TYPE', 'new Bucket(3)')
    const [b, name] = fresh(smoke)
    await rejects(b.write('', 'x'), 'ERR_INVALID_KEY', 'an empty key', TypeError)
    await rejects(b.write(5, 'x'), 'ERR_INVALID_KEY', 'a number key', TypeError)
    await rejects(b.write('k', 42), 'ERR_INVALID_ARG_TYPE', 'write(k, 42)', TypeError)
    await rejects(b.write('k', { a: 1 }), 'ERR_INVALID_ARG_TYPE', 'write(k, {})', TypeError)
    await rejects(b.write('k', null), 'ERR_INVALID_ARG_TYPE', 'write(k, null)', TypeError)
    await rejects(b.write('k'.repeat(1025), 'x'), 'ERR_INVALID_KEY', 'a key of 1025 bytes', TypeError)
    await rejects(b.read('k', 5), 'ERR_INVALID_ARG_TYPE', 'read(k, 5)', TypeError)
    await rejects(b.info([1]), 'ERR_INVALID_KEY', 'info([1])', TypeError)
    await rejects(b.list(5), 'ERR_INVALID_ARG_TYPE', 'list(5)', TypeError)
    await rejects(b.delete(''), 'ERR_INVALID_KEY', "delete('')", TypeError)
    throws(() => b.readable(''), TypeError, 'ERR_INVALID_KEY', "readable('')")
    throws(() => b.writable(7), TypeError, 'ERR_INVALID_KEY', 'writable(7)')
    assertEq(await b.exists('k'), false, 'nothing was written')
    await b.write('k', 'v')
    await b.dispose()
    await b.dispose() // twice is harmless
    await rejects(b.read('k'), 'ERR_DISPOSED', 'read after dispose')
    await rejects(b.write('k', 'x'), 'ERR_DISPOSED', 'write after dispose')
    await rejects(b.list(), 'ERR_DISPOSED', 'list after dispose')
    // The files stay: another Bucket of the name reads them.
    const again = new smoke.Bucket(name)
    assertEq(await again.read('k', 'utf-8'), 'v', 'a reopened bucket')
    await done(smoke, again, name)
  },

  async 'serve over REST: Range (206, 416), If-None-Match (304), If-Range, HEAD, and a resumed download'(smoke) {
    const [b, name] = fresh(smoke)
    const hub = new smoke.PageHub()
    const server = new smoke.Node({ hub })
    const client = new smoke.Node({ hub })
    const size = 5 * MiB + 333
    await b.write('movie.bin', bigData(size))
    await b.write('empty', '')
    server.rest.createServer()
      .get('/files/:name', (req, res) => b.serve(req, res, req.params.name))
      .get('/typed', (req, res) => b.serve(req, res, 'movie.bin', { type: 'video/mp4' }))
      .listen(80)
    const url = `rest://${await server.address()}/files`
    const get = (path, headers) => client.rest.fetch(`${url}/${path}`, { headers })
    const bytes = async (r) => new Uint8Array(await r.arrayBuffer())

    const whole = await get('movie.bin')
    assertEq([whole.status, whole.headers.get('content-length'), whole.headers.get('accept-ranges'), whole.headers.get('content-type')],
      [200, String(size), 'bytes', 'application/octet-stream'], 'a whole GET')
    const etag = whole.headers.get('etag')
    assertEq(etag, `"${(await b.info('movie.bin')).etag}"`, 'the ETag is the content\'s version, quoted')
    assert(whole.headers.get('last-modified'), 'Last-Modified')
    const d0 = digest()
    d0.add(await bytes(whole))
    const d1 = digest()
    d1.add(bytesAt(0, size))
    const want = await d1.hex()
    assertEq(await d0.hex(), want, 'the whole body')

    const notModified = await get('movie.bin', { 'If-None-Match': etag })
    assertEq([notModified.status, (await bytes(notModified)).length], [304, 0], 'If-None-Match with the ETag')
    assertEq((await get('movie.bin', { 'If-None-Match': `"other", ${etag}` })).status, 304, 'If-None-Match with a list')
    assertEq((await get('movie.bin', { 'If-None-Match': '"other"' })).status, 200, 'If-None-Match with another ETag')

    for (const [range, start, end] of [['bytes=0-0', 0, 1], ['bytes=10-19', 10, 20], [`bytes=${MiB - 2}-${MiB + 1}`, MiB - 2, MiB + 2],
      ['bytes=-100', size - 100, size], [`bytes=${size - 5}-`, size - 5, size], [`bytes=100-${size + 50}`, 100, size], [`bytes=-${size + 9}`, 0, size]]) {
      const r = await get('movie.bin', { Range: range })
      assertEq([r.status, r.headers.get('content-range'), r.headers.get('content-length')],
        [206, `bytes ${start}-${end - 1}/${size}`, String(end - start)], range)
      assert(same(await bytes(r), bytesAt(start, end)), `${range}: the body`)
    }
    for (const range of [`bytes=${size}-`, `bytes=${size + 10}-${size + 20}`, 'bytes=-0']) {
      const r = await get('movie.bin', { Range: range })
      assertEq([r.status, r.headers.get('content-range')], [416, `bytes */${size}`], range)
    }
    assertEq((await get('empty', { Range: 'bytes=0-' })).status, 416, 'a range of an empty file')
    // Ranges not honoured: another unit, several ranges, malformed; the whole file is sent.
    for (const range of ['items=0-1', 'bytes=0-1,5-6', 'bytes=abc', 'bytes=9-3']) {
      const r = await get('movie.bin', { Range: range })
      assertEq([r.status, r.headers.get('content-length')], [200, String(size)], range)
      await r.body?.cancel()
    }
    // If-Range: the range only while the content is the one named.
    const ifRange = await get('movie.bin', { Range: 'bytes=0-9', 'If-Range': etag })
    assertEq(ifRange.status, 206, 'If-Range with the ETag')
    await ifRange.body?.cancel()
    const stale = await get('movie.bin', { Range: 'bytes=0-9', 'If-Range': '"old"' })
    assertEq(stale.status, 200, 'If-Range with another ETag')
    await stale.body?.cancel()
    const head = await client.rest.fetch(`${url}/movie.bin`, { method: 'HEAD' })
    assertEq([head.status, head.headers.get('content-length'), (await bytes(head)).length], [200, String(size), 0], 'HEAD')
    assertEq((await get('missing')).status, 404, 'a missing file')
    assertEq((await client.rest.fetch(`rest://${await server.address()}/typed`, { method: 'HEAD' })).headers.get('content-type'), 'video/mp4', 'the type option')

    // A download cut after 2 MiB and resumed from there, with If-Range: the pieces make the file.
    const first = await get('movie.bin')
    const reader = first.body.getReader()
    const d = digest()
    let got = 0
    while (got < 2 * MiB) {
      const { value } = await reader.read()
      d.add(value)
      got += value.length
    }
    await reader.cancel()
    const rest = await get('movie.bin', { Range: `bytes=${got}-`, 'If-Range': first.headers.get('etag') })
    assertEq([rest.status, rest.headers.get('content-range')], [206, `bytes ${got}-${size - 1}/${size}`], 'the resumed request')
    d.add(await bytes(rest))
    assertEq(await d.hex(), want, 'the resumed download')

    await server.dispose()
    await client.dispose()
    await done(smoke, b, name)
  },
}

export async function run(smoke, only) {
  const results = []
  for (const [name, fn] of Object.entries(cases)) {
    if (only && !only.includes(name)) continue
    const start = performance.now()
    try {
      await Promise.race([fn(smoke), sleep(180000).then(() => { throw new Error('case timed out after 180 s') })])
      results.push({ name, ok: true, error: '', ms: performance.now() - start })
    } catch (err) {
      results.push({ name, ok: false, error: String(err && err.stack || err), ms: performance.now() - start })
    }
  }
  return results
}
