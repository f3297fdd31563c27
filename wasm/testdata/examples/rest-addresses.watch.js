// Test instrumentation, not part of the example: nothing to watch; the example logs the content itself.
console.log('watch: started')
