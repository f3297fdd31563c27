// Smoke in the browser, the database: new Database(name) (records in IndexedDB, through Go's pkg/idb) and its
// queries, db.query(store), with the operators of the original smoke. See wasm/db_js.go in the Go module.
//
// Queries run here, in JavaScript, over batches: a store is read as arrays of records (one short IndexedDB
// transaction each, made by Go, crossing as the arrays IndexedDB made), and every operator works on whole arrays,
// so a predicate or a projection is a plain JavaScript call with no crossing into Go per record. Batches are read
// only as the query is consumed, so take(), first(), any(), all() and elementAt() stop reading the store as soon as
// they know their answer; orderBy() and reverse() read the whole source first. count() with no operator before it
// asks the store for its count.
//
// Like core.js, this file is the source of both builds: index.js reaches it through core.js's import, and
// dist/smoke.js inlines it with the `export ` keywords stripped. So: `export` only at the start of a line, before
// `function`, and nothing else in this file may start a line with `export ` or `import `.

import { smokeError, argError } from './errors.js'

/** The first batch a store query reads, and the largest: batches double from one to the other. */
const FIRST_BATCH = 64
const MAX_BATCH = 1024

/**
 * Makes the Query class over a source of batches. core.js and rest.js share it (a remote query is a Query over the
 * batches of a response). ctx holds core.js's private pieces: internal and checkToken.
 */
export function queryClass(ctx) {
  const { internal, checkToken } = ctx

  const fn = (f, what) => {
    if (typeof f !== 'function') throw argError(`query.${what} takes a function, got ${typeof f}`)
    return f
  }
  const count = (n, what) => {
    if (typeof n !== 'number' || !Number.isInteger(n)) throw argError(`query.${what} takes an integer, got ${n}`)
    return n
  }
  const compare = (key, sign) => (a, b) => {
    const x = key(a)
    const y = key(b)
    return x < y ? -sign : x > y ? sign : 0
  }

  /**
   * A lazy query: each operator makes a new query, and nothing is read until an eager operator or for await asks.
   * A query can be run any number of times; each run reads its source anew.
   */
  class Query {
    #batches // () => AsyncIterator<T[]>: one run over the batches, never empty ones
    #count // () => Promise<number>, the source's own count, or undefined
    #unsorted // for an ordered query: the source before the sort, and its comparators
    #order
    constructor(token, batches, count, unsorted, order) {
      checkToken(token, 'Query')
      this.#batches = batches
      this.#count = count
      this.#unsorted = unsorted
      this.#order = order
    }
    // #batchesOf turns what concat() takes into a source: a Query, an array, or a (sync or async) iterable.
    static #batchesOf(other) {
      if (other instanceof Query) return other.#batches
      if (Array.isArray(other)) return async function* () { if (other.length > 0) yield other.slice() }
      if (other !== null && typeof other === 'object' && (Symbol.asyncIterator in other || Symbol.iterator in other)) {
        return async function* () {
          let b = []
          for await (const v of other) {
            b.push(v)
            if (b.length >= MAX_BATCH) {
              yield b
              b = []
            }
          }
          if (b.length > 0) yield b
        }
      }
      throw argError('query.concat takes a query, an array or an iterable')
    }
    #then(op) {
      const src = this.#batches
      return new Query(internal, () => op(src()))
    }

    // ----- lazy -----
    where(predicate) {
      fn(predicate, 'where')
      return this.#then(async function* (src) {
        for await (const b of src) {
          const out = b.filter((v) => predicate(v))
          if (out.length > 0) yield out
        }
      })
    }
    select(selector) {
      fn(selector, 'select')
      return this.#then(async function* (src) {
        for await (const b of src) yield b.map((v) => selector(v))
      })
    }
    selectMany(selector) {
      fn(selector, 'selectMany')
      return this.#then(async function* (src) {
        for await (const b of src) {
          const out = []
          for (const v of b) for (const u of selector(v)) out.push(u)
          if (out.length > 0) yield out
        }
      })
    }
    #sorted(src, cmps) {
      const sorted = async function* () {
        const all = []
        for await (const b of src()) for (const v of b) all.push(v)
        all.sort((a, b) => {
          for (const c of cmps) {
            const r = c(a, b)
            if (r !== 0) return r
          }
          return 0
        })
        if (all.length > 0) yield all
      }
      return new Query(internal, sorted, undefined, src, cmps)
    }
    orderBy(key) { return this.#sorted(this.#batches, [compare(fn(key, 'orderBy'), 1)]) }
    orderByDescending(key) { return this.#sorted(this.#batches, [compare(fn(key, 'orderByDescending'), -1)]) }
    thenBy(key) {
      if (this.#order === undefined) throw argError('query.thenBy must follow orderBy or orderByDescending')
      return this.#sorted(this.#unsorted, [...this.#order, compare(fn(key, 'thenBy'), 1)])
    }
    thenByDescending(key) {
      if (this.#order === undefined) throw argError('query.thenByDescending must follow orderBy or orderByDescending')
      return this.#sorted(this.#unsorted, [...this.#order, compare(fn(key, 'thenByDescending'), -1)])
    }
    reverse() {
      return this.#then(async function* (src) {
        const all = []
        for await (const b of src) for (const v of b) all.push(v)
        if (all.length > 0) yield all.reverse()
      })
    }
    distinct(selector) {
      if (selector !== undefined) fn(selector, 'distinct')
      return this.#then(async function* (src) {
        const seen = new Set()
        for await (const b of src) {
          const out = []
          for (const v of b) {
            const k = selector === undefined ? v : selector(v)
            if (seen.has(k)) continue
            seen.add(k)
            out.push(v)
          }
          if (out.length > 0) yield out
        }
      })
    }
    concat(other) {
      const more = Query.#batchesOf(other)
      return this.#then(async function* (src) {
        yield* src
        yield* more()
      })
    }
    skip(n) {
      count(n, 'skip')
      return this.#then(async function* (src) {
        let left = n
        for await (const b of src) {
          if (left >= b.length) {
            left -= b.length
            continue
          }
          yield left > 0 ? b.slice(left) : b
          left = 0
        }
      })
    }
    take(n) {
      count(n, 'take')
      return this.#then(async function* (src) {
        let left = n
        if (left <= 0) return
        for await (const b of src) {
          if (b.length >= left) {
            yield b.length === left ? b : b.slice(0, left)
            return // ends src: the store is read no further
          }
          left -= b.length
          yield b
        }
      })
    }

    // ----- eager -----
    /** The first element (that satisfies predicate), or undefined. */
    async first(predicate) {
      const q = predicate === undefined ? this : this.where(predicate)
      for await (const b of q.#batches()) return b[0]
      return undefined
    }
    /** The last element (that satisfies predicate), or undefined. */
    async last(predicate) {
      const q = predicate === undefined ? this : this.where(predicate)
      let last
      for await (const b of q.#batches()) last = b[b.length - 1]
      return last
    }
    /** Element index (from 0), or undefined. */
    async elementAt(index) {
      count(index, 'elementAt')
      if (index < 0) return undefined
      let left = index
      for await (const b of this.#batches()) {
        if (left < b.length) return b[left]
        left -= b.length
      }
      return undefined
    }
    /** Folds the elements into initial with func(accumulator, element); without initial, from the first element. */
    async aggregate(func, initial) {
      fn(func, 'aggregate')
      let acc = initial
      let started = arguments.length >= 2
      for await (const b of this.#batches()) {
        for (const v of b) {
          if (started) {
            acc = func(acc, v)
          } else {
            acc = v
            started = true
          }
        }
      }
      return acc
    }
    /** Whether every element satisfies predicate (true when there are none). */
    async all(predicate) {
      fn(predicate, 'all')
      for await (const b of this.#batches()) if (!b.every((v) => predicate(v))) return false
      return true
    }
    /** Whether any element (that satisfies predicate) exists. */
    async any(predicate) {
      if (predicate === undefined) {
        for await (const b of this.#batches()) return b.length > 0
        return false
      }
      fn(predicate, 'any')
      for await (const b of this.#batches()) if (b.some((v) => predicate(v))) return true
      return false
    }
    /** The number of elements (that satisfy predicate). */
    async count(predicate) {
      if (predicate === undefined && this.#count !== undefined) return this.#count()
      const q = predicate === undefined ? this : this.where(predicate)
      let n = 0
      for await (const b of q.#batches()) n += b.length
      return n
    }
    /** The sum of the elements (or of selector of them); 0 when there are none. */
    async sum(selector) {
      const q = selector === undefined ? this : this.select(selector)
      let s = 0
      for await (const b of q.#batches()) for (const v of b) s += v
      return s
    }
    /** The mean of the elements (or of selector of them); undefined when there are none. */
    async average(selector) {
      const q = selector === undefined ? this : this.select(selector)
      let s = 0
      let n = 0
      for await (const b of q.#batches()) {
        for (const v of b) s += v
        n += b.length
      }
      return n === 0 ? undefined : s / n
    }
    /** The least element (or selector of it); undefined when there are none. */
    async min(selector) { return this.#extreme(selector, (a, b) => a < b) }
    /** The greatest element (or selector of it); undefined when there are none. */
    async max(selector) { return this.#extreme(selector, (a, b) => a > b) }
    async #extreme(selector, better) {
      const q = selector === undefined ? this : this.select(selector)
      let m
      let seen = false
      for await (const b of q.#batches()) {
        for (const v of b) {
          if (!seen || better(v, m)) m = v
          seen = true
        }
      }
      return m
    }
    /** All the elements, as an array. */
    async toArray() {
      const out = []
      for await (const b of this.#batches()) for (const v of b) out.push(v)
      return out
    }
    /** The elements, batch by batch: arrays, never empty. res.query() sends these. */
    batches() { return this.#batches() }
    async *[Symbol.asyncIterator]() {
      for await (const b of this.#batches()) yield* b
    }
  }

  /** A Query over batches(): a function that returns an async iterator of arrays. count, if given, is its count. */
  const newQuery = (batches, count) => new Query(internal, async function* () {
    for await (const b of batches()) if (b.length > 0) yield b
  }, count)

  return { Query, newQuery }
}

/**
 * Makes the Database class over one native object. ctx holds core.js's private pieces: native, internal,
 * checkToken, promised and newQuery.
 */
export function dbClasses(ctx) {
  const { native, promised, newQuery } = ctx

  const invalidRecord = (message) => smokeError('ERR_INVALID_RECORD', message, TypeError)
  const storeName = (store, what) => {
    if (typeof store !== 'string' || store === '') throw argError(`database.${what}: the store must be a non-empty string`)
    return store
  }

  /**
   * A database in the page's IndexedDB. insert, update and delete are staged until commit(), which applies them all
   * in one transaction or, failing, none. Stores are made on first use. Records are objects with a string key.
   */
  class Database {
    #id
    #staged = [] // kind (0 insert, 1 update, 2 delete), store, records or keys, ...
    #reads = { batches: 0 }
    constructor(name, options) {
      if (typeof name !== 'string' || name === '') throw argError('new Database(name): name must be a non-empty string')
      const durability = options?.durability
      this.#id = native.dbOpen(name, durability)
      Object.defineProperty(this, 'name', { value: name, enumerable: true })
    }
    /** Deletes the database name and all its stores. */
    static drop(name) { return promised(() => native.dbDeleteDatabase(String(name))) }
    /** A new record key: unique, and sorting in the order keys were made. */
    key() { return native.dbKey() }
    // #stage adds an operation to the staged list: kind, store, then the keys (delete) or a Map from key to record
    // (insert, update), which Go writes with one call into JavaScript (Map.forEach(store.put, store)). A key staged
    // twice in a row starts a new Map, so that the order holds (and an insert of it fails the commit).
    #stage(kind, store, item) {
      const s = this.#staged
      const n = s.length
      const same = n > 0 && s[n - 3] === kind && s[n - 2] === store
      if (kind === 2) {
        if (same) s[n - 1].push(item)
        else s.push(kind, store, [item])
        return
      }
      let m = same ? s[n - 1] : undefined
      if (m === undefined || m.has(item.key)) {
        m = new Map()
        s.push(kind, store, m)
      }
      m.set(item.key, item)
    }
    #record(record, what) {
      if (record === null || typeof record !== 'object') throw invalidRecord(`database.${what}: a record must be an object, got ${record === null ? 'null' : typeof record}`)
      if (typeof record.key !== 'string') throw invalidRecord(`database.${what}: a record needs a string key, got ${typeof record.key}`)
      return record
    }
    /** Stages adding record to store; the commit fails (ERR_KEY_EXISTS) if its key is there already. */
    insert(store, record) { this.#stage(0, storeName(store, 'insert'), this.#record(record, 'insert')) }
    /** Stages putting record in store, adding it or replacing the record of its key. */
    update(store, record) { this.#stage(1, storeName(store, 'update'), this.#record(record, 'update')) }
    /** Stages deleting from store the record with key (or the record given). */
    delete(store, keyOrRecord) {
      const key = typeof keyOrRecord === 'string' ? keyOrRecord : this.#record(keyOrRecord, 'delete').key
      this.#stage(2, storeName(store, 'delete'), key)
    }
    /** Applies the staged operations in one transaction: all of them, or, when it rejects, none. */
    commit() {
      const ops = this.#staged
      this.#staged = []
      if (ops.length === 0) return Promise.resolve()
      return promised(() => native.dbCommit(this.#id, ops))
    }
    /** The record of store with key, or undefined. */
    get(store, key) { return promised(() => native.dbGet(this.#id, storeName(store, 'get'), String(key))) }
    /** Whether store has a record with key. */
    exists(store, key) { return promised(() => native.dbExists(this.#id, storeName(store, 'exists'), String(key))) }
    /** The number of records in store. */
    count(store) { return promised(() => native.dbCount(this.#id, storeName(store, 'count'))) }
    /** The keys of store, in order. */
    keys(store) { return promised(() => native.dbKeys(this.#id, storeName(store, 'keys'))) }
    /** A query over the records of store, in key order, read in batches as it is consumed. */
    query(store) {
      storeName(store, 'query')
      const id = this.#id
      const reads = this.#reads
      const read = (after, n) => {
        reads.batches++
        return native.dbBatch(id, store, after, n)
      }
      return newQuery(async function* () {
        let after = ''
        let n = FIRST_BATCH
        // From the third batch on, a long read: the next batch is asked for before this one is handed on, so that
        // IndexedDB reads it while the query works on this one. Short reads (take, first) never read ahead.
        let ahead = null
        try {
          for (let i = 0; ; i++) {
            const b = await (ahead ?? read(after, n))
            ahead = null
            if (b.length < n) {
              yield b
              return
            }
            after = b[b.length - 1].key
            n = Math.min(n * 2, MAX_BATCH)
            if (i >= 2) ahead = read(after, n)
            yield b
          }
        } finally {
          ahead?.catch(() => {}) // read ahead, then not wanted: the query stopped
        }
      }, () => promised(() => native.dbCount(id, store)))
    }
    /** How many batches this database's queries have read from IndexedDB (a diagnostic). */
    get batchesRead() { return this.#reads.batches }
    /** Deletes store and its records. */
    drop(store) { return promised(() => native.dbDrop(this.#id, storeName(store, 'drop'))) }
    /** Closes the database; staged operations are dropped. */
    dispose() {
      this.#staged = []
      return promised(() => native.dbClose(this.#id))
    }
  }

  return { Database }
}
