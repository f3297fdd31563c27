// Server

// The original smoke README writes `(async () => { ... }, 1000)`: a comma expression that never calls the function (a setTimeout
// that lost its name, by the 1000). Here the call is added, as `setTimeout(` before it; nothing else changes.
setTimeout(async () => {
  
  // Host...

  const host = new Node({  })

  const app = host.rest.createServer()

  app.get('/', async (req, res) => {

    res.headers['Content-Type'] = 'text/html'
    
    res.send(`<h1>hello world</h1>`)
  })

  app.listen(80)

  // Client

  // Resolve the host address. The host may choose to publish their address to
  // a remote registry or other discovery service for other nodes to find it.
  // Here we simply call the hosts .address() method directly.

  const address = await host.address()

  const node = new Node({ })

  const response = await node.rest.fetch(`rest://${address}/`)
  
  const content = await response.text()

  console.log(content)

}, 1000)
