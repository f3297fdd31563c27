// The file part of database.html: a Bucket in this tab, served by the tab's host node, and a client that lists
// another host's files and downloads them. The DOM carries what happened as data attributes:
//   #files tr                data-key, data-size: this tab's files
//   #uploaded                data-count: files written so far
//   #remote-files            data-state (idle | running | done | error), data-count; li data-key
//   #remote-files li a       data-state (done | error), data-size (bytes downloaded), data-status, data-etag
import { Bucket } from '@smokenet/smoke'
import { h, describe } from './ui.js'

const $ = (id) => document.getElementById(id)

// files serves the bucket on the host's server and runs the upload and download forms. node is the tab's host.
export function files(node, server) {
  const bucket = new Bucket('smoke-demo-files')
  server
    .get('/files', async (req, res) => {
      const { keys } = await bucket.list()
      res.json((await bucket.info(keys)).filter((i) => i !== undefined))
    })
    .get('/files/:name', (req, res) => bucket.serve(req, res, req.params.name))

  const show = async () => {
    const { keys } = await bucket.list()
    const infos = await bucket.info(keys)
    $('files').replaceChildren(...infos.filter((i) => i !== undefined).map((i) =>
      h('tr', { 'data-key': i.key, 'data-size': String(i.size) },
        h('td', {}, i.key), h('td', { class: 'mono' }, i.size.toLocaleString()), h('td', {}, i.updated.toLocaleTimeString()))))
  }
  show()

  let written = 0
  const upload = async (what, write) => {
    const out = $('uploaded')
    try {
      const t0 = performance.now()
      const info = await write()
      written++
      out.dataset.count = String(written)
      out.className = 'mono'
      out.textContent = `${what}: ${info.size.toLocaleString()} bytes in ${(performance.now() - t0).toFixed(0)} ms`
      await show()
    } catch (err) {
      out.className = 'mono error'
      out.textContent = describe(err)
    }
  }
  for (const b of document.querySelectorAll('#upload button')) b.disabled = false
  $('upload').addEventListener('submit', async (e) => {
    e.preventDefault()
    // A File is a Blob: the bucket slices it into chunks without reading it whole.
    for (const f of $('file').files) await upload(f.name, () => bucket.write(f.name, f))
  })
  $('sample').addEventListener('click', () => {
    const bytes = new Uint8Array(3 << 20)
    crypto.getRandomValues(bytes.subarray(0, 65536))
    for (let i = 65536; i < bytes.length; i += 65536) bytes.copyWithin(i, 0, 65536)
    const name = `sample-${new Date().toISOString().slice(11, 19).replaceAll(':', '')}.bin`
    upload(name, () => bucket.write(name, bytes))
  })

  // The client: list a host's files, and download one into a Blob (its URL is the download link).
  const list = $('remote-files')
  list.dataset.state = 'idle'
  const download = async (target, key, li) => {
    const link = li.querySelector('a') ?? li.appendChild(h('a', {}, 'downloading…'))
    try {
      const response = await node.rest.fetch(`rest://${target}/files/${encodeURIComponent(key)}`)
      if (!response.ok) throw new Error(`${target} answered ${response.status}`)
      const blob = await response.blob()
      link.href = URL.createObjectURL(blob)
      link.download = key
      link.textContent = `save ${key} (${blob.size.toLocaleString()} bytes)`
      Object.assign(link.dataset, { state: 'done', size: String(blob.size), status: String(response.status), etag: response.headers.get('etag') ?? '' })
    } catch (err) {
      link.textContent = describe(err)
      link.dataset.state = 'error'
      link.className = 'error'
    }
  }
  $('remote-files').addEventListener('click', (e) => {
    const button = e.target.closest('button[data-key]')
    if (button) download(button.dataset.target, button.dataset.key, button.closest('li'))
  })
  $('files-query').addEventListener('submit', async (e) => {
    e.preventDefault()
    const target = $('files-target').value.trim() || 'localhost'
    const status = $('remote-status')
    list.dataset.state = 'running'
    try {
      const response = await node.rest.fetch(`rest://${target}/files`)
      if (!response.ok) throw new Error(`${target} answered ${response.status}`)
      const infos = await response.json()
      list.replaceChildren(...infos.map((i) => h('li', { 'data-key': i.key },
        `${i.key} (${i.size.toLocaleString()} bytes) `, h('button', { type: 'button', 'data-key': i.key, 'data-target': target }, 'download'), ' ')))
      list.dataset.count = String(infos.length)
      list.dataset.state = 'done'
      status.className = 'mono'
      status.textContent = `${infos.length} files on ${target}`
    } catch (err) {
      list.dataset.state = 'error'
      status.className = 'mono error'
      status.textContent = describe(err)
    }
  })
}
