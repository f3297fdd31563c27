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

/** until polls cond (which may be async) every 20 ms until it holds, or throws after ms. */
export async function until(cond, what, ms = 20000) {
  const start = Date.now()
  while (!(await cond())) {
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(20)
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
    const start = performance.now()
    try {
      await Promise.race([fn(smoke), sleep(timeout).then(() => { throw new Error(`case timed out after ${timeout / 1000} s`) })])
      results.push({ name, ok: true, error: '', ms: performance.now() - start })
    } catch (err) {
      results.push({ name, ok: false, error: String(err && err.stack || err), ms: performance.now() - start })
    }
  }
  return results
}
