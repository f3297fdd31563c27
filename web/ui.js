// Small DOM helpers shared by the demo pages. Nothing here knows about Smoke.

/** h('li', { class: 'x', 'data-from': 'me' }, 'text', child) makes an element. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v)
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  el.append(...children.filter((c) => c !== undefined && c !== null))
  return el
}

/** An error as a line of text: its code first when it has one. */
export function describe(err) {
  if (err && typeof err === 'object' && 'code' in err && err.code) return `${err.code}: ${err.message}`
  return String(err?.message ?? err)
}

/** A socket's close event as a line of text. An unclean close follows an error event, which tells the reason. */
export function describeClose(e) {
  if (!e.wasClean) return `closed ${e.code} (not clean)`
  return `closed ${e.code}${e.reason ? ` "${e.reason}"` : ''}`
}

/** Sets the text and state class of an element that shows a state. */
export function showState(el, state) {
  el.textContent = state
  el.className = `state state-${state}`
}
