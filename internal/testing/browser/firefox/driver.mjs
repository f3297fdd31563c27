// Drives one headless Firefox over WebDriver BiDi (puppeteer-core) for internal/testing/browser's Firefox type
// (firefox.go), which starts this script with Node.js and speaks to it in JSON lines:
//
//   argv[2]     {"executable", "profile", "prefs": {...}} — the browser to launch, its profile directory (which the
//               caller made, and removes) and the preferences to add to puppeteer's defaults;
//   stdin       commands {"id", "op", ...}: newPage, navigate {page, url}, reload {page}, evaluate {page, expr},
//               viewport {page, width, height}, closePage {page};
//   stdout      {"event": "ready", "pid"} once Firefox answers, then a reply {"id", "value"} or {"id", "error"} to
//               each command, and {"event": "console", "page", "line"} for each console entry of a page, in the
//               order the page made them.
//
// The end of stdin closes the browser and ends the script, so Firefox never outlives the test that started it.
// Nothing is downloaded: the browser is the executable named in argv[2].

import puppeteer from 'puppeteer-core'
import readline from 'node:readline'

const config = JSON.parse(process.argv[2])

function send(message) {
  process.stdout.write(JSON.stringify(message) + '\n')
}

function fail(message) {
  process.stderr.write(`firefox driver: ${message}\n`)
  process.exit(1)
}

let browser
try {
  browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: config.executable,
    headless: true,
    userDataDir: config.profile,
    extraPrefsFirefox: config.prefs,
    // Each page gets the viewport it asks for; none by default, as in Chromium's rig.
    defaultViewport: null,
    // The caller's context bounds every wait.
    timeout: 0,
    protocolTimeout: 0,
    // The Go side ends the test; Firefox must not stop on signals sent to the Go process's group.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  })
} catch (err) {
  fail(`launching ${config.executable}: ${err.stack || err}`)
}
browser.on('disconnected', () => {
  if (closing) return
  process.stderr.write('firefox driver: Firefox disconnected\n')
  process.exit(1)
})

// pages: id → { context, page }; byBrowsingContext: BiDi browsing context id of a page's top frame → page id.
const pages = new Map()
const byBrowsingContext = new Map()
let nextPage = 1
let closing = false

// Console entries come from the raw BiDi log events, not puppeteer's console event: the event's own text is
// Firefox's rendering of every argument (an Error as "Error: message"), where puppeteer's would say JSHandle@error,
// and raw events keep their order.
const levels = { log: 'log', info: 'info', debug: 'debug', warn: 'warning', error: 'error', trace: 'trace', assert: 'assert' }
browser.connection.on('log.entryAdded', (entry) => {
  const page = byBrowsingContext.get(entry.source?.context)
  if (page === undefined) return
  let line
  if (entry.type === 'console') {
    line = `${levels[entry.method] ?? entry.method}: ${entry.text ?? ''}`
    if (entry.level === 'error') line += stack(entry)
  } else if (entry.type === 'javascript') {
    line = `exception: ${entry.text ?? ''}${stack(entry)}`
  } else {
    line = `${entry.level}: ${entry.text ?? ''}`
  }
  send({ event: 'console', page, line })
})

function stack(entry) {
  let s = ''
  for (const f of entry.stackTrace?.callFrames ?? []) {
    // BiDi counts lines and columns from 0; editors count from 1.
    s += `\n    at ${f.functionName || '<anonymous>'} (${f.url}:${f.lineNumber + 1}:${f.columnNumber + 1})`
  }
  return s
}

function page(id) {
  const p = pages.get(id)
  if (!p) throw new Error(`no page ${id}`)
  return p
}

const ops = {
  // A page in a user context of its own (cookies, storage, IndexedDB apart), in a window of its own, so that
  // no page is a background tab.
  async newPage() {
    const context = await browser.createBrowserContext()
    const p = await context.newPage({ type: 'window' })
    p.setDefaultTimeout(0)
    p.setDefaultNavigationTimeout(0)
    const id = nextPage++
    pages.set(id, { context, page: p })
    byBrowsingContext.set(p.mainFrame()._id, id)
    return id
  },
  async navigate({ page: id, url }) {
    const res = await page(id).page.goto(url, { waitUntil: 'load' })
    if (res && !res.ok()) throw new Error(`${url}: HTTP ${res.status()}`)
    return null
  },
  async reload({ page: id }) {
    await page(id).page.reload({ waitUntil: 'load' })
    return null
  },
  // expr is the whole script to evaluate, made by the Go side (evaluateScript in tab.go).
  async evaluate({ page: id, expr }) {
    return await page(id).page.evaluate(expr)
  },
  async viewport({ page: id, width, height }) {
    await page(id).page.setViewport({ width, height })
    return null
  },
  async closePage({ page: id }) {
    const p = pages.get(id)
    if (!p) return null
    pages.delete(id)
    for (const [bc, pid] of byBrowsingContext) if (pid === id) byBrowsingContext.delete(bc)
    await p.context.close()
    return null
  },
}

send({ event: 'ready', pid: browser.process()?.pid ?? 0 })

const lines = readline.createInterface({ input: process.stdin })
lines.on('line', async (line) => {
  let cmd
  try {
    cmd = JSON.parse(line)
  } catch (err) {
    fail(`bad command ${line}: ${err}`)
  }
  try {
    const op = ops[cmd.op]
    if (!op) throw new Error(`unknown op ${cmd.op}`)
    send({ id: cmd.id, value: await op(cmd) })
  } catch (err) {
    send({ id: cmd.id, error: String(err?.message ?? err) })
  }
})
lines.on('close', async () => {
  closing = true
  // The Go side has gone (or closes the browser): a graceful close gets ten seconds, then Firefox is killed, so
  // it never outlives the test that started it.
  const kill = setTimeout(() => {
    browser.process()?.kill('SIGKILL')
    process.exit(0)
  }, 10000)
  try {
    await browser.close()
  } catch {
    browser.process()?.kill('SIGKILL')
  }
  clearTimeout(kill)
  process.exit(0)
})
