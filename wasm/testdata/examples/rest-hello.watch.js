// Test instrumentation, not part of the example: report what the fetch got.
console.log(`watch: text ${text}`)
