const node = new Node()

const app = node.rest.createServer()

app.get('/', (req, res) => {

  res.send('hello world')
})

app.listen(80)
const text = await node.rest.fetch('/').then(n => n.text())
