// bench.js is the browser half of the db-browser section (db_browser.go): the npm package's Database (window.smoke)
// against raw IndexedDB in the same page. dbBench(opts) resolves to the samples, in milliseconds; Go computes the
// figures. Each run uses a database of its own, deleted after.

let seq = 0
const freshName = (what) => `bench-${what}-${Date.now()}-${seq++}`

// A record of about 100 bytes as JSON.
const record = (key, i) => ({ key, i, name: `user ${i}`, role: i % 3 === 0 ? 'admin' : 'user', pad: 'x'.repeat(24) })

const req = (r) => new Promise((resolve, reject) => {
  r.onsuccess = () => resolve(r.result)
  r.onerror = () => reject(r.error)
})

async function rawOpen(name, store) {
  const open = indexedDB.open(name, 1)
  open.onupgradeneeded = () => open.result.createObjectStore(store, { keyPath: 'key' })
  return req(open)
}

const rawDelete = (name) => req(indexedDB.deleteDatabase(name))

// Raw: n puts in one readwrite transaction with relaxed durability, as Database.commit does.
async function rawInsert(db, store, records) {
  const tx = db.transaction([store], 'readwrite', { durability: 'relaxed' })
  const s = tx.objectStore(store)
  for (const r of records) s.put(r)
  await new Promise((resolve, reject) => {
    tx.oncomplete = resolve
    tx.onerror = () => reject(tx.error)
    tx.onabort = () => reject(tx.error)
  })
}

// Raw: getAll batches of 1024 after the last key, one transaction each, with the filter in plain JS.
async function rawWhereCount(db, store, keep) {
  let after = null
  let n = 0
  for (;;) {
    const tx = db.transaction([store], 'readonly')
    const range = after === null ? undefined : IDBKeyRange.lowerBound(after, true)
    const b = await req(tx.objectStore(store).getAll(range, 1024))
    for (const r of b) if (keep(r)) n++
    if (b.length < 1024) return n
    after = b[b.length - 1].key
  }
}

const keep = (r) => r.role === 'admin'

globalThis.dbBench = async ({ records, reps }) => {
  const { Database, Node, PageHub } = window.smoke
  const out = { insert: { smoke: [], raw: [] }, whereCount: { smoke: [], raw: [] }, remote: [], paused: {} }
  const make = (keyOf) => Array.from({ length: records }, (_, i) => record(keyOf(i), i))

  for (let rep = 0; rep < reps; rep++) {
    // Bulk insert: the records are made before the clock starts, both ways; smoke's keys come from db.key().
    {
      const name = freshName('raw')
      const db = await rawOpen(name, 's')
      const keys = new Database(freshName('keys')) // only for keys of the same shape as smoke's
      const recs = make(() => keys.key())
      await keys.dispose()
      const t0 = performance.now()
      await rawInsert(db, 's', recs)
      out.insert.raw.push(performance.now() - t0)
      const t1 = performance.now()
      const n = await rawWhereCount(db, 's', keep)
      out.whereCount.raw.push(performance.now() - t1)
      if (n !== Math.ceil(records / 3)) throw new Error(`raw where+count: ${n}`)
      db.close()
      await rawDelete(name)
    }
    {
      const name = freshName('smoke')
      const db = new Database(name)
      // Opened, and its store made (a version upgrade), before the clock starts, as the raw database is: the
      // figure is the puts, not the upgrade.
      db.insert('s', { key: 'warm-up' })
      await db.commit()
      db.delete('s', 'warm-up')
      await db.commit()
      const recs = make(() => db.key())
      const t0 = performance.now()
      for (const r of recs) db.insert('s', r)
      await db.commit()
      out.insert.smoke.push(performance.now() - t0)
      const t1 = performance.now()
      const n = await db.query('s').where(keep).count()
      out.whereCount.smoke.push(performance.now() - t1)
      if (n !== Math.ceil(records / 3)) throw new Error(`smoke where+count: ${n}`)
      await db.dispose()
      await Database.drop(name)
    }
  }

  // A query streamed over REST between two nodes of the page, and a paused one.
  const hub = new PageHub()
  const server = new Node({ hub })
  const client = new Node({ hub })
  const name = freshName('remote')
  const db = new Database(name)
  for (let i = 0; i < records; i++) db.insert('s', record(db.key(), i))
  await db.commit()
  server.rest.createServer().get('/all', (req, res) => res.query(db.query('s'))).listen(80)
  const url = `rest://${await server.address()}/all`
  for (let rep = 0; rep < reps; rep++) {
    const t0 = performance.now()
    let n = 0
    for await (const r of (await client.rest.fetch(url)).query()) {
      if (r.i !== n) throw new Error(`remote record ${n}: i = ${r.i}`)
      n++
    }
    out.remote.push(performance.now() - t0)
  }
  // Paused: read 10 records, then wait; the server must stop reading the store, and memory stay flat.
  const heap = () => performance.memory?.usedJSHeapSize ?? 0
  const it = (await client.rest.fetch(url)).query()[Symbol.asyncIterator]()
  for (let i = 0; i < 10; i++) await it.next()
  await new Promise((r) => setTimeout(r, 500))
  const b0 = db.batchesRead
  const h0 = heap()
  await new Promise((r) => setTimeout(r, 2000))
  out.paused = { batchesDuring: db.batchesRead - b0, heapBefore: h0, heapAfter: heap() }
  await it.return()
  await server.dispose()
  await client.dispose()
  await db.dispose()
  await Database.drop(name)
  return out
}
