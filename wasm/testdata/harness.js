// The browser side of runCases (e2e_test.go): helpers the case files share, and run(cases), which runs each case
// in turn and resolves to [{ name, ok, error, ms }].

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

export function assert(cond, message) {
  if (!cond) throw new Error(message)
}

/** assertEq compares got and want as JSON. */
export function assertEq(got, want, what) {
  const g = JSON.stringify(got)
  const w = JSON.stringify(want)
  if (g !== w) throw new Error(`${what}: got ${g}, want ${w}`)
}

/**
 * until polls cond (which may be async) every 20 ms until it holds, or throws after ms. what says what it waits
 * for; a function is called at the timeout, to say the state then.
 */
export async function until(cond, what, ms = 20000) {
  const start = Date.now()
  while (!(await cond())) {
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'function' ? what() : what}`)
    await sleep(20)
  }
}

/**
 * framesShown counts the frames a <video> has shown so far. Chromium counts them in getVideoPlaybackQuality; Firefox
 * leaves that at 0 for a MediaStream, so the frames that requestVideoFrameCallback reports are counted too, from the
 * first call on.
 */
export function framesShown(v) {
  if (!v.framesCounted) {
    v.framesCounted = { n: 0 }
    const tick = () => {
      v.framesCounted.n++
      v.requestVideoFrameCallback(tick)
    }
    v.requestVideoFrameCallback(tick)
  }
  return Math.max(v.getVideoPlaybackQuality().totalVideoFrames, v.framesCounted.n)
}

/**
 * audioRuns reports whether Web Audio runs in this page. Firefox on a machine with no audio output keeps every
 * AudioContext suspended, so a test pattern's tone carries nothing, and its MediaRecorder then holds a recording's
 * output until it stops (and at times gives out nothing at all): the cases that record leave the tone out there.
 */
export async function audioRuns() {
  const ac = new AudioContext()
  try {
    if (ac.state !== 'running') await Promise.race([ac.resume(), sleep(1000)])
    return ac.state === 'running'
  } finally {
    ac.close().catch(() => {})
  }
}

/** rejects waits for p to reject with an Error of code, and returns the error. */
export async function rejects(p, code, what) {
  try {
    await p
  } catch (err) {
    assert(err instanceof Error, `${what}: rejected with a non-Error ${err}`)
    assert(err.code === code, `${what}: code ${err.code} (${err.message}), want ${code}`)
    return err
  }
  throw new Error(`${what}: did not reject`)
}

/** run runs the cases (name → async (smoke) => void) one after the other, each bounded by timeout ms. */
export async function run(cases, smoke, only, timeout = 90000) {
  const results = []
  for (const [name, fn] of Object.entries(cases)) {
    if (only && !only.includes(name)) continue
    if (globalThis.skipCases?.includes(name)) continue // the Go side reports it skipped, with why
    const start = performance.now()
    try {
      await Promise.race([fn(smoke), sleep(timeout).then(() => { throw new Error(`case timed out after ${timeout / 1000} s`) })])
      results.push({ name, ok: true, error: '', ms: performance.now() - start })
    } catch (err) {
      results.push({ name, ok: false, error: describe(err), ms: performance.now() - start })
    }
  }
  return results
}

/** describe gives an error's message and stack: Chromium's stack starts with the message, Firefox's does not. */
function describe(err) {
  const stack = String(err && err.stack || '')
  const head = String(err)
  return stack.startsWith(head) ? stack : `${head}\n${stack}`
}
