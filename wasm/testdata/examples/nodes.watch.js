// Test instrumentation, not part of the example: report the socket's events on the console.
socket.on('open', () => console.log('watch: socket open'))
socket.on('error', (err) => console.log(`watch: socket error ${err.code} ${err.message}`))
socket.on('close', (e) => console.log(`watch: socket close ${e.code} ${e.wasClean}`))
