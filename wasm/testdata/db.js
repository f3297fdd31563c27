// Browser-side cases of the database (new Database, db.query), driven by TestDatabase (db_test.go), against the
// page's real IndexedDB: run(smoke) runs each case in turn and resolves to [{ name, ok, error }]. Each case uses a
// database of its own name, dropped at its end.

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function assert(cond, message) {
  if (!cond) throw new Error(message)
}

function assertEq(got, want, what) {
  const g = JSON.stringify(got)
  const w = JSON.stringify(want)
  if (g !== w) throw new Error(`${what}: got ${g}, want ${w}`)
}

function throws(f, code, what) {
  try {
    f()
  } catch (err) {
    assertEq(err.code, code, `${what}: code of ${err.message}`)
    return
  }
  throw new Error(`${what}: did not throw`)
}

async function rejects(p, code, what) {
  try {
    await p
  } catch (err) {
    assert(err instanceof Error, `${what}: rejected with a non-Error ${err}`)
    assertEq(err.code, code, `${what}: code of ${err.message}`)
    return err
  }
  throw new Error(`${what}: did not reject`)
}

async function until(cond, what, ms = 20000) {
  const start = Date.now()
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(5)
  }
}

let seq = 0
const fresh = (smoke) => {
  const name = `dbtest-${Date.now()}-${seq++}`
  return [new smoke.Database(name), name]
}

// A small seeded random generator (mulberry32), so that a failing pipeline can be replayed.
function rng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// A random lazy step: [name, apply to a Query, apply to an array (the plain evaluation)].
function randomStep(r) {
  const int = (n) => Math.floor(r() * n)
  switch (int(12)) {
    case 0: {
      const m = int(3) + 2
      return [`where(a%${m}==0)`, (q) => q.where((v) => v.a % m === 0), (xs) => xs.filter((v) => v.a % m === 0)]
    }
    case 1:
      return ['select', (q) => q.select((v) => ({ a: (v.a + v.b) % 7, b: v.b - v.a })),
        (xs) => xs.map((v) => ({ a: (v.a + v.b) % 7, b: v.b - v.a }))]
    case 2: {
      const f = (v) => Array.from({ length: v.a % 3 }, (_, i) => ({ a: v.a, b: v.b + i }))
      return ['selectMany', (q) => q.selectMany(f), (xs) => xs.flatMap(f)]
    }
    case 3:
    case 4: {
      const desc = int(2) === 1
      const then = int(3)
      const cmp = (x, y) => {
        let c = x.a < y.a ? -1 : x.a > y.a ? 1 : 0
        if (desc) c = -c
        if (c === 0 && then === 1) c = x.b < y.b ? -1 : x.b > y.b ? 1 : 0
        if (c === 0 && then === 2) c = x.b < y.b ? 1 : x.b > y.b ? -1 : 0
        return c
      }
      return [`orderBy(a,desc=${desc},then=${then})`, (q) => {
        let o = desc ? q.orderByDescending((v) => v.a) : q.orderBy((v) => v.a)
        if (then === 1) o = o.thenBy((v) => v.b)
        if (then === 2) o = o.thenByDescending((v) => v.b)
        return o
      }, (xs) => {
        // insertion sort: stable, and not the implementation's
        const out = xs.slice()
        for (let i = 1; i < out.length; i++) {
          for (let j = i; j > 0 && cmp(out[j], out[j - 1]) < 0; j--) [out[j], out[j - 1]] = [out[j - 1], out[j]]
        }
        return out
      }]
    }
    case 5:
      return ['reverse', (q) => q.reverse(), (xs) => xs.slice().reverse()]
    case 6:
      return ['distinct(a)', (q) => q.distinct((v) => v.a), (xs) => {
        const seen = []
        return xs.filter((v) => (seen.includes(v.a) ? false : (seen.push(v.a), true)))
      }]
    case 7: {
      const extra = Array.from({ length: int(5) }, () => ({ a: int(6), b: int(100) }))
      return [`concat(${extra.length})`, (q) => q.concat(extra), (xs) => xs.concat(extra)]
    }
    case 8:
    case 9: {
      const n = int(150) - 1
      return [`skip(${n})`, (q) => q.skip(n), (xs) => xs.slice(Math.max(n, 0))]
    }
    default: {
      const n = int(150) - 1
      return [`take(${n})`, (q) => q.take(n), (xs) => xs.slice(0, Math.max(n, 0))]
    }
  }
}

// A random eager step: [name, run on a Query, run on an array].
function randomTerminal(r) {
  const int = (n) => Math.floor(r() * n)
  const a = (v) => v.a
  switch (int(14)) {
    case 0: return ['first', (q) => q.first(), (xs) => xs[0]]
    case 1: return ['first(b>50)', (q) => q.first((v) => v.b > 50), (xs) => xs.find((v) => v.b > 50)]
    case 2: return ['last', (q) => q.last(), (xs) => xs[xs.length - 1]]
    case 3: {
      const i = int(200) - 1
      return [`elementAt(${i})`, (q) => q.elementAt(i), (xs) => (i < 0 ? undefined : xs[i])]
    }
    case 4: return ['aggregate', (q) => q.aggregate((acc, v) => (acc * 31 + v.a) % 1000003, 7),
      (xs) => xs.reduce((acc, v) => (acc * 31 + v.a) % 1000003, 7)]
    case 5: return ['all(a<5)', (q) => q.all((v) => v.a < 5), (xs) => xs.every((v) => v.a < 5)]
    case 6: return ['any(b>95)', (q) => q.any((v) => v.b > 95), (xs) => xs.some((v) => v.b > 95)]
    case 7: return ['any()', (q) => q.any(), (xs) => xs.length > 0]
    case 8: return ['average(a)', (q) => q.average(a), (xs) => (xs.length === 0 ? undefined : xs.reduce((s, v) => s + v.a, 0) / xs.length)]
    case 9: return ['sum(a)', (q) => q.sum(a), (xs) => xs.reduce((s, v) => s + v.a, 0)]
    case 10: return ['min(b)', (q) => q.min((v) => v.b), (xs) => (xs.length === 0 ? undefined : Math.min(...xs.map((v) => v.b)))]
    case 11: return ['max(b)', (q) => q.max((v) => v.b), (xs) => (xs.length === 0 ? undefined : Math.max(...xs.map((v) => v.b)))]
    case 12: return ['count', (q) => q.count(), (xs) => xs.length]
    default: return ['toArray', (q) => q.toArray(), (xs) => xs]
  }
}

const strip = (v) => (v !== null && typeof v === 'object' && 'key' in v ? { a: v.a, b: v.b } : v)
const plainOf = (v) => (Array.isArray(v) ? v.map(strip) : strip(v))

const cases = {
  async 'CRUD: insert, commit, get, exists, count, keys, update, delete'(smoke) {
    const [db, name] = fresh(smoke)
    assertEq(await db.count('users'), 0, 'count of a store that does not exist')
    const keys = []
    for (const n of ['smith', 'mike', 'dave']) {
      const key = db.key()
      keys.push(key)
      db.insert('users', { key, name: n })
    }
    assertEq(await db.count('users'), 0, 'staged records are not there before commit')
    await db.commit()
    assertEq(await db.count('users'), 3, 'count')
    assertEq(await db.keys('users'), keys, 'keys, in the order made')
    assertEq((await db.get('users', keys[1])).name, 'mike', 'get')
    assertEq(await db.get('users', 'nope'), undefined, 'get of a missing key')
    assertEq(await db.exists('users', keys[2]), true, 'exists')
    assertEq(await db.exists('users', 'nope'), false, 'exists of a missing key')
    db.update('users', { key: keys[0], name: 'smith2' })
    db.delete('users', keys[1])
    db.delete('users', { key: keys[2] })
    await db.commit()
    assertEq((await db.query('users').toArray()).map((u) => u.name), ['smith2'], 'after update and delete')
    // A second Database on the same name sees it all (another connection).
    const again = new smoke.Database(name)
    assertEq(await again.count('users'), 1, 'another connection')
    await again.dispose()
    await db.drop('users')
    assertEq(await db.count('users'), 0, 'count after drop(store)')
    db.insert('users', { key: db.key(), name: 'back' })
    await db.commit()
    assertEq(await db.count('users'), 1, 'a dropped store made again on first use')
    await db.dispose()
    await rejects(db.count('users'), 'ERR_DISPOSED', 'count after dispose')
    await smoke.Database.drop(name)
    const reopened = new smoke.Database(name)
    assertEq(await reopened.count('users'), 0, 'a dropped database is empty')
    await reopened.dispose()
    await smoke.Database.drop(name)
  },

  async 'a bad record fails the whole commit and changes nothing'(smoke) {
    const [db, name] = fresh(smoke)
    const k0 = db.key()
    db.insert('s', { key: k0, v: 1 })
    await db.commit()
    throws(() => db.insert('s', { v: 2 }), 'ERR_INVALID_RECORD', 'insert without a key')
    throws(() => db.insert('s', { key: 7 }), 'ERR_INVALID_RECORD', 'insert with a number key')
    throws(() => db.update('s', null), 'ERR_INVALID_RECORD', 'update(null)')
    db.insert('s', { key: db.key(), v: 'good' })
    db.insert('t', { key: db.key(), v: 'other store' })
    db.insert('s', { key: db.key(), f: () => 1 }) // functions cannot be cloned into IndexedDB
    await rejects(db.commit(), 'ERR_INVALID_RECORD', 'commit with an uncloneable value')
    assertEq(await db.keys('s'), [k0], 'store s after the failed commit')
    assertEq(await db.count('t'), 0, 'store t after the failed commit')
    db.insert('s', { key: k0, v: 'again' })
    await rejects(db.commit(), 'ERR_KEY_EXISTS', 'insert of an existing key')
    assertEq((await db.get('s', k0)).v, 1, 'the record after the failed insert')
    await db.dispose()
    await smoke.Database.drop(name)
  },

  async 'the original README query, locally'(smoke) {
    const [db, name] = fresh(smoke)
    for (const [n, role] of [['smith', 'admin'], ['mike', 'admin'], ['dave', 'user'], ['alice', 'user'], ['jones', 'user']]) {
      db.insert('users', { key: db.key(), name: n, role })
    }
    await db.commit()
    const names = []
    for await (const n of db.query('users').where((u) => u.role === 'user').orderBy((u) => u.name).select((u) => u.name)) {
      names.push(n)
    }
    assertEq(names, ['alice', 'dave', 'jones'], 'names')
    assertEq(await db.query('users').reverse().select((u) => u.name).toArray(), ['jones', 'alice', 'dave', 'mike', 'smith'], 'reverse keeps element 0')
    assertEq(await db.query('empty').reverse().toArray(), [], 'reverse of an empty store ends')
    await db.dispose()
    await smoke.Database.drop(name)
  },

  async 'take, first, any and count read a bounded number of batches'(smoke) {
    const [db, name] = fresh(smoke)
    for (let i = 0; i < 5000; i++) db.insert('big', { key: db.key(), i })
    await db.commit()
    const reads = async (what, f, want) => {
      const before = db.batchesRead
      await f()
      assertEq(db.batchesRead - before, want, `batches read by ${what}`)
    }
    await reads('take(10)', () => db.query('big').take(10).toArray(), 1)
    await reads('first()', () => db.query('big').first(), 1)
    await reads('where(i>=100).first()', () => db.query('big').where((r) => r.i >= 100).first(), 2)
    await reads('elementAt(70)', () => db.query('big').elementAt(70), 2)
    await reads('any()', () => db.query('big').any(), 1)
    await reads('count()', () => db.query('big').count(), 0)
    await reads('for await, break after 3', async () => {
      for await (const r of db.query('big')) if (r.i === 2) break
    }, 1)
    // Batches of 64, 128, 256, 512, then 1024: 5,056 records in 8 reads, the last one short, so the run ends there.
    await reads('where.count over everything', () => db.query('big').where((r) => r.i % 2 === 0).count(), 8)
    assertEq(await db.query('big').count(), 5000, 'count')
    assertEq(await db.query('big').where((r) => r.i % 2 === 0).count(), 2500, 'where.count')
    await db.dispose()
    await smoke.Database.drop(name)
  },

  async '1,500 random pipelines over a store agree with a plain evaluation'(smoke) {
    const [db, name] = fresh(smoke)
    const seed = 20261204
    const r = rng(seed)
    const data = Array.from({ length: 300 }, () => ({ key: db.key(), a: Math.floor(r() * 6), b: Math.floor(r() * 100) }))
    for (const d of data) db.insert('data', d)
    await db.commit()
    const plainData = data.map(strip)
    for (let i = 0; i < 1500; i++) {
      const steps = Array.from({ length: Math.floor(r() * 7) }, () => randomStep(r))
      const [tname, tq, tp] = randomTerminal(r)
      let q = db.query('data')
      let xs = plainData
      for (const [, sq, sp] of steps) {
        q = sq(q)
        xs = sp(xs)
      }
      const got = plainOf(await tq(q))
      const want = tp(xs)
      const g = JSON.stringify(got)
      const w = JSON.stringify(want)
      if (g !== w) throw new Error(`pipeline ${i} (seed ${seed}) ${steps.map(([n]) => n).join('.')}.${tname}: got ${g}, want ${w}`)
    }
    await db.dispose()
    await smoke.Database.drop(name)
  },
}

// remote sets up a database of n records { key, i } served by node a on port 80 at /all (the whole store) and at
// /evens (a filtered query), for node b to fetch.
async function remote(smoke, n) {
  const hub = new smoke.PageHub()
  const a = new smoke.Node({ hub })
  const b = new smoke.Node({ hub })
  const [db, name] = fresh(smoke)
  for (let i = 0; i < n; i++) db.insert('big', { key: db.key(), i })
  await db.commit()
  const ended = []
  a.rest.createServer()
    .get('/all', (req, res) => { res.query(db.query('big')).then((all) => ended.push(all ? 'all' : 'stopped'), (e) => ended.push(`failed: ${e.code}`)) })
    .get('/evens', (req, res) => res.query(db.query('big').where((r) => r.i % 2 === 0).select((r) => ({ i: r.i }))))
    .get('/text', (req, res) => res.send('not records'))
    .get('/boom', (req, res) => {
      res.query(db.query('big').where((r) => {
        if (r.i === 500) throw new Error('query boom')
        return true
      })).then(() => ended.push('boom: resolved'), (e) => ended.push(`boom: ${e.message}`))
    })
    .listen(80)
  const url = `rest://${await a.address()}`
  const done = async () => {
    await a.dispose()
    await b.dispose()
    await db.dispose()
    await smoke.Database.drop(name)
  }
  return { a, b, db, url, ended, done }
}

Object.assign(cases, {
  async 'a remote query broken after 10 of 100,000 records: the server read a bounded number of batches, then stopped'(smoke) {
    const { b, db, url, ended, done } = await remote(smoke, 100000)
    const before = db.batchesRead
    const resp = await b.rest.fetch(`${url}/all`)
    assertEq(resp.kind, 'records', 'kind')
    let n = 0
    for await (const r of resp.query()) {
      assertEq(r.i, n, 'record order')
      if (++n === 10) break
    }
    await until(() => ended.length === 1, 'the server to see the client go')
    assertEq(ended, ['stopped'], 'how res.query ended')
    const reads = db.batchesRead - before
    // 64 + 128 + 256 + 512 + 1024 records and 64 of the next 1024 fill the window of 2048 in flight; one more
    // batch may wait for room, and the one after it be read ahead.
    assert(reads <= 9, `the server read ${reads} batches for a client that took 10 records`)
    await sleep(300)
    assertEq(db.batchesRead - before, reads, 'batches read after the client stopped')
    await done()
  },

  async 'five broken remote iterations, then a whole one on the same server'(smoke) {
    const { b, db, url, ended, done } = await remote(smoke, 100000)
    for (let k = 0; k < 5; k++) {
      let n = 0
      for await (const r of (await b.rest.fetch(`${url}/all`)).query()) {
        assertEq(r.i, n, `iteration ${k}: record order`)
        if (++n === 3 * k + 1) break
      }
    }
    await until(() => ended.length === 5, 'the server to see five clients go')
    const start = performance.now()
    let n = 0
    for await (const r of (await b.rest.fetch(`${url}/all`)).query()) {
      if (r.i !== n) throw new Error(`record ${n}: got i = ${r.i}`)
      n++
    }
    const ms = performance.now() - start
    assertEq(n, 100000, 'records of the whole iteration')
    await until(() => ended.length === 6, 'the server to end the sixth stream')
    assertEq(ended, ['stopped', 'stopped', 'stopped', 'stopped', 'stopped', 'all'], 'how the streams ended')
    console.log(`bench: remote query: 100000 records in ${ms.toFixed(0)} ms: ${(100000 / ms * 1000).toFixed(0)} records/s`)
    assertEq(await db.query('big').count(), 100000, 'the store')
    await done()
  },

  async 'a remote query takes the same operators, applied on the client'(smoke) {
    const { b, url, ended, done } = await remote(smoke, 3000)
    const q = (await b.rest.fetch(`${url}/evens`)).query()
    assertEq(await q.orderByDescending((r) => r.i).select((r) => r.i).take(3).toArray(), [2998, 2996, 2994], 'orderByDescending.select.take')
    let second
    try {
      await q.toArray()
    } catch (err) {
      second = err
    }
    assert(second instanceof TypeError, `a second run of a response's query: ${second}`)
    assertEq(await (await b.rest.fetch(`${url}/evens`)).query().count(), 1500, 'count')
    // A record stream read as bytes is NDJSON: a record a line.
    const lines = (await (await b.rest.fetch(`${url}/evens`)).text()).split('\n')
    assertEq([lines.length, lines[1], lines[1500]], [1501, '{"i":2}', ''], 'a record stream read with text()')
    assertEq(await (await b.rest.fetch(`${url}/evens`)).query().skip(10).first(), { i: 20 }, 'skip.first')
    // A query that throws on the server cuts the stream: the client's iteration fails, after what was sent.
    let got = 0
    let failed
    try {
      for await (const r of (await b.rest.fetch(`${url}/boom`)).query()) {
        assertEq(r.i, got, 'records before the failure')
        got++
      }
    } catch (err) {
      failed = err
    }
    assert(failed instanceof Error, `the client's iteration of a failing query: ${failed}`)
    assert(got <= 500, `${got} records before the failure`)
    await until(() => ended.includes('boom: query boom'), 'res.query to reject with the query\'s error')
    const text = await b.rest.fetch(`${url}/text`)
    assertEq(text.kind, 'bytes', 'kind of a text response')
    throws(() => text.query(), 'ERR_NOT_RECORDS', 'query() of a text response')
    await done()
  },
})

export async function run(smoke, only) {
  const results = []
  for (const [name, fn] of Object.entries(cases)) {
    if (only && !only.includes(name)) continue
    const start = performance.now()
    try {
      await Promise.race([fn(smoke), sleep(120000).then(() => { throw new Error('case timed out after 120 s') })])
      results.push({ name, ok: true, error: '', ms: performance.now() - start })
    } catch (err) {
      results.push({ name, ok: false, error: String(err && err.stack || err), ms: performance.now() - start })
    }
  }
  return results
}
