// bucket.js is the browser half of the bucket part of the db-browser section (bucket_browser.go): the npm
// package's Bucket against raw IndexedDB Blob puts and gets of the same chunk size (1 MiB), in the same page.
// bucketBench(opts) resolves to the samples, in milliseconds; Go computes the figures.

const CHUNK = 1 << 20
const PER_TX = 4 // chunks per transaction, as the Bucket stores and reads them

const breq = (r) => new Promise((resolve, reject) => {
  r.onsuccess = () => resolve(r.result)
  r.onerror = () => reject(r.error)
})
const bdone = (tx) => new Promise((resolve, reject) => {
  tx.oncomplete = resolve
  tx.onerror = () => reject(tx.error)
  tx.onabort = () => reject(tx.error)
})

// Raw write: the bytes cut into Blobs of CHUNK, put PER_TX to a relaxed readwrite transaction, one after another.
async function rawWrite(db, data) {
  for (let at = 0; at < data.length; at += CHUNK * PER_TX) {
    const tx = db.transaction(['c'], 'readwrite', { durability: 'relaxed' })
    const s = tx.objectStore('c')
    for (let k = 0; k < PER_TX && at + k * CHUNK < data.length; k++) {
      const from = at + k * CHUNK
      s.put(new Blob([data.subarray(from, from + CHUNK)]), String(from / CHUNK).padStart(8, '0'))
    }
    await bdone(tx)
  }
}

// Raw read: PER_TX gets to a readonly transaction, each Blob read into a Uint8Array.
async function rawRead(db, chunks) {
  let n = 0
  for (let i = 0; i < chunks; i += PER_TX) {
    const tx = db.transaction(['c'], 'readonly')
    const s = tx.objectStore('c')
    const gets = []
    for (let k = i; k < i + PER_TX && k < chunks; k++) gets.push(breq(s.get(String(k).padStart(8, '0'))))
    for (const blob of await Promise.all(gets)) n += new Uint8Array(await blob.arrayBuffer()).length
  }
  return n
}

globalThis.bucketBench = async ({ mib, reps }) => {
  const { Bucket } = window.smoke
  const size = mib * CHUNK
  const data = new Uint8Array(size)
  for (let i = 0; i < size; i += 4096) data[i] = i & 255
  const out = { write: { smoke: [], raw: [] }, read: { smoke: [], raw: [] } }
  for (let rep = 0; rep < reps; rep++) {
    {
      const name = `bench-bucket-raw-${Date.now()}-${rep}`
      const open = indexedDB.open(name, 1)
      open.onupgradeneeded = () => open.result.createObjectStore('c')
      const db = await breq(open)
      const t0 = performance.now()
      await rawWrite(db, data)
      out.write.raw.push(performance.now() - t0)
      const t1 = performance.now()
      const n = await rawRead(db, mib)
      out.read.raw.push(performance.now() - t1)
      if (n !== size) throw new Error(`raw read: ${n} bytes`)
      db.close()
      await breq(indexedDB.deleteDatabase(name))
    }
    {
      const name = `bench-bucket-${Date.now()}-${rep}`
      const b = new Bucket(name)
      await b.exists('x') // opened before the clock starts, as the raw database is
      const t0 = performance.now()
      await b.write('f', data)
      out.write.smoke.push(performance.now() - t0)
      const t1 = performance.now()
      let n = 0
      const reader = b.readable('f').getReader()
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        n += value.length
      }
      out.read.smoke.push(performance.now() - t1)
      if (n !== size) throw new Error(`bucket read: ${n} bytes`)
      await b.dispose()
      await Bucket.drop(name)
    }
  }
  return out
}
