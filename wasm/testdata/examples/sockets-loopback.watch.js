// Test instrumentation, not part of the example: report each socket's events on the console.
for (const [name, socket] of Object.entries({ socket0, socket1, socket2, socket3 })) {
  socket.on('open', () => console.log(`watch: ${name} open`))
  socket.on('error', (err) => console.log(`watch: ${name} error ${err.code} ${err instanceof Error}`))
  socket.on('close', (e) => console.log(`watch: ${name} close ${e.code}`))
}
