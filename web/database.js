// The database demo of database.html: the original README's example on an in-page hub, then a host node on the
// network hub that served the page, serving its store over REST, and a client that queries any host into a table;
// files.js adds a file Bucket to the host, and a client that downloads another host's files.
// The DOM carries what happened as data attributes:
//   #example                 data-state (running | done | error); #example-log li: what the example logged
//   #host-address            data-address (once the hub has given one); #registered data-hostname
//   #local-count             data-count: records in this tab's store
//   #results                 data-state (idle | running | done | error), data-count, data-target; tr data-key
import { Node, NetworkHub, PageHub, Database } from '@smokenet/smoke'
import { h, describe } from './ui.js'
import { files } from './files.js'

const $ = (id) => document.getElementById(id)
const NAMES = ['ada', 'alan', 'barbara', 'claude', 'dennis', 'edsger', 'grace', 'john', 'ken', 'leslie', 'linus', 'margaret', 'rob', 'tony']
const ROLES = ['user', 'admin', 'guest']

// The README's example, on a hub of its own and a database of its own, dropped first.
async function example() {
  const out = $('example')
  const log = (line) => $('example-log').append(h('li', {}, line))
  try {
    await Database.drop('demo-readme-users')
    const db = new Database('demo-readme-users')
    const { rest } = new Node({ hub: new PageHub() })
    db.insert('users', { key: db.key(), name: 'smith', role: 'admin' })
    db.insert('users', { key: db.key(), name: 'mike', role: 'admin' })
    db.insert('users', { key: db.key(), name: 'dave', role: 'user' })
    db.insert('users', { key: db.key(), name: 'alice', role: 'user' })
    db.insert('users', { key: db.key(), name: 'jones', role: 'user' })
    await db.commit()
    rest.createServer().get('/users', (req, res) => {
      const query = db.query('users').where((n) => n.role === 'user')
      res.query(query)
    }).listen(5433)
    const query = await rest.fetch('rest://localhost:5433/users').then((n) => n.query())
    for await (const user of query.orderBy((n) => n.name).select((n) => n.name)) log(user)
    out.dataset.state = 'done'
  } catch (err) {
    out.dataset.state = 'error'
    log(describe(err))
  }
}

export async function run() {
  example()

  const db = new Database('smoke-demo')
  const hub = new NetworkHub(location.origin)
  const node = new Node({ hub })
  const server = node.rest.createServer()
    .get('/people', (req, res) => {
      const role = typeof req.query.role === 'string' ? req.query.role : ''
      res.query(db.query('people').where((p) => !role || p.role === role))
    })
  files(node, server)
  server.listen(80)

  const showCount = async () => {
    const n = await db.count('people')
    $('local-count').textContent = $('local-count').dataset.count = String(n)
  }
  showCount()

  const commit = async (what) => {
    const out = $('inserted')
    try {
      const t0 = performance.now()
      await db.commit()
      out.className = 'mono'
      out.textContent = `${what} in ${(performance.now() - t0).toFixed(0)} ms`
      await showCount()
    } catch (err) {
      out.className = 'mono error'
      out.textContent = describe(err)
    }
  }
  $('insert').addEventListener('submit', (e) => {
    e.preventDefault()
    const name = $('name').value.trim()
    if (name === '') return
    db.insert('people', { key: db.key(), name, role: $('role').value })
    $('name').value = ''
    commit(`inserted ${name}`)
  })
  $('bulk').addEventListener('click', () => {
    for (let i = 0; i < 1000; i++) {
      db.insert('people', { key: db.key(), name: NAMES[Math.floor(Math.random() * NAMES.length)], role: ROLES[Math.floor(Math.random() * ROLES.length)] })
    }
    commit('inserted 1,000 records')
  })
  $('register').addEventListener('submit', async (e) => {
    e.preventDefault()
    const name = $('hostname').value.trim()
    const out = $('registered')
    try {
      await node.hub.register(name)
      out.className = 'mono'
      out.dataset.hostname = name
      out.textContent = `registered: another tab can query ${name}`
    } catch (err) {
      out.className = 'mono error'
      out.textContent = describe(err)
    }
  })

  // The client: one query at a time (asked while one runs, it runs again once that one is done, with the form as it
  // is then); live repeats it every second.
  const results = $('results')
  results.dataset.state = 'idle'
  let running = false
  let again = false
  const shown = new Set()
  const query = async () => {
    if (running) {
      again = true
      return
    }
    running = true
    const target = $('target').value.trim() || 'localhost'
    const role = $('filter').value
    const status = $('query-status')
    results.dataset.state = 'running'
    try {
      const t0 = performance.now()
      const response = await node.rest.fetch(`rest://${target}/people${role ? `?role=${encodeURIComponent(role)}` : ''}`)
      if (response.kind !== 'records') throw new Error(`${target} answered ${response.status}, not a record stream`)
      const rows = []
      for await (const p of response.query()) {
        rows.push(h('tr', { 'data-key': p.key, class: shown.size > 0 && !shown.has(p.key) ? 'new' : undefined },
          h('td', {}, p.name), h('td', {}, p.role), h('td', { class: 'mono' }, p.key)))
      }
      const ms = performance.now() - t0
      shown.clear()
      for (const r of rows) shown.add(r.dataset.key)
      results.replaceChildren(...rows)
      results.dataset.count = String(rows.length)
      results.dataset.target = target
      results.dataset.state = 'done'
      status.className = 'mono'
      status.textContent = `${rows.length} records from ${target} in ${ms.toFixed(0)} ms`
    } catch (err) {
      results.dataset.state = 'error'
      status.className = 'mono error'
      status.textContent = describe(err)
    } finally {
      running = false
      if (again) {
        again = false
        query()
      }
    }
  }
  $('query').addEventListener('submit', (e) => {
    e.preventDefault()
    query()
  })
  setInterval(() => { if ($('live').checked) query() }, 1000)

  try {
    const address = await node.address()
    $('host-address').textContent = $('host-address').dataset.address = address
    for (const b of document.querySelectorAll('#insert button, #register button, #query button, #files-query button')) b.disabled = false
  } catch (err) {
    $('host-address').textContent = `no address: ${describe(err)} (this part needs the page served by smoke-hub)`
    $('host-address').classList.add('error')
  }
}
