// Smoke in the browser: the errors the JavaScript classes throw themselves. Like those made in Go (wasm/messages.go),
// each has a code and a message of one plain sentence, "smoke: " first.

/** An error of class Class (Error, TypeError, RangeError) with code and the message "smoke: " + message. */
export function smokeError(code, message, Class = Error) {
  const err = new Class(`smoke: ${message}`)
  err.code = code
  return err
}

/** A bad argument: a TypeError with code ERR_INVALID_ARG_TYPE, as Node.js names it. */
export function argError(message) {
  return smokeError('ERR_INVALID_ARG_TYPE', message, TypeError)
}
