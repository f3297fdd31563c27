

// creates a IDB database with this name.
const db = new Database('users')

interface User extends Record { name: string, role: string }

(async () => {

  // use the rest and database namespaces only.
  const { rest } = new Node()

  // insert some users into the database.
  db.insert('users', { key: db.key(), name: 'smith', role: 'admin' })
  db.insert('users', { key: db.key(), name: 'mike', role: 'admin'  })
  db.insert('users', { key: db.key(), name: 'dave', role: 'user'  })
  db.insert('users', { key: db.key(), name: 'alice', role: 'user'  })
  db.insert('users', { key: db.key(), name: 'jones', role: 'user'  })
  await db.commit()

  // create server with simple database view to the 'user' store.
  rest.createServer().get('/users', (req, res) => {

    const query = db.query<User>('users').where(n => n.role === 'user')
    
    res.query(query)
  
  }).listen(5433)


  // request query from server.
  const query = await rest.fetch('rest://localhost:5433/users').then(n => n.query<User>())

  // apply order and iterate, new records pulled on each iteration.
  for await (const user of query.orderBy(n => n.name).select(n => n.name)) {

    console.log(user)
  }

})();
