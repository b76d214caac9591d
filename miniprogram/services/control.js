// Remote switching through the command lifecycle (docs/control.md), as the PWA's
// src/api/control.js and stores/commands.js: a command is POSTed with a reason and an
// Idempotency-Key (one per user intent: a send retried after a network error reuses it,
// so it never becomes a second command), then followed until it settles. Approvals: the
// commands awaiting my approval, approve, reject with a reason.
const config = require('../config')
const api = require('../utils/request')
const i18n = require('../utils/i18n')

const IN_FLIGHT = ['requested', 'awaiting_approval', 'queued', 'sent']

function newKey() {
  const b = []
  for (let i = 0; i < 16; i++) b.push(Math.floor(Math.random() * 256))
  b[6] = (b[6] & 0x0f) | 0x40
  b[8] = (b[8] & 0x3f) | 0x80
  const h = b.map((x) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

let retry = null        // {sig, key}: the intent whose last send did not reach the server

// ``{action, reason}`` (and ``value``, dim's level 0..100) to a device -> the command
// (queued, or awaiting_approval on a protected circuit). A refusal is thrown (silent: the
// page shows it with message_zh).
async function send(deviceId, action, reason, value) {
  const sig = `${deviceId}:${action}:${value === undefined ? '' : value}`
  const key = retry && retry.sig === sig ? retry.key : newKey()
  const body = value === undefined ? { action, reason } : { action, value, reason }
  try {
    const cmd = await api.post(`/api/v1/devices/${deviceId}/commands`, body,
      { headers: { 'Idempotency-Key': key }, silent: true })
    retry = null
    return cmd
  } catch (err) {
    retry = err.status === 0 ? { sig, key } : null
    throw err
  }
}

const get = (id, options) => api.get(`/api/v1/commands/${id}`, options)

// Polls the command until it leaves the in-flight states, calling onUpdate with each new
// state; resolves with the settled command (or the last seen when ``stop()`` is called).
function follow(id, onUpdate, { everyMs = config.commandPollMs } = {}) {
  let timer = null
  let last = null
  let finish = null
  const done = new Promise((resolve) => { finish = resolve })
  const end = (cmd) => { clearTimeout(timer); if (finish) { finish(cmd); finish = null } }
  const tick = async () => {
    if (!finish) return
    try {
      const cmd = await get(id, { silent: true })
      if (!finish) return
      // a new state, or a site box taking the command (``delivery``: pending -> delivered)
      if (!last || cmd.state !== last.state || cmd.delivery !== last.delivery) onUpdate(cmd)
      last = cmd
      if (!IN_FLIGHT.includes(cmd.state)) return end(cmd)
    } catch (err) {
      // a network hiccup: try again at the next tick
    }
    if (finish) timer = setTimeout(tick, everyMs)
  }
  tick()
  return { done, stop() { end(last) } }
}

const awaitingMine = (options) =>
  api.get('/api/v1/commands?awaiting_my_approval=true&page_size=100', options)
const approve = (id, comment) =>
  api.post(`/api/v1/commands/${id}/approve`, comment ? { comment } : {})
const reject = (id, comment) => api.post(`/api/v1/commands/${id}/reject`, { comment })

// The Chinese reason of a refusal or failure: the server's message_zh, else the table's.
function reasonOf(errOrCmd) {
  const body = errOrCmd && (errOrCmd.body || errOrCmd)
  if (body && body.message_zh) return body.message_zh
  return (errOrCmd && errOrCmd.text) || ''
}

module.exports = { send, get, follow, awaitingMine, approve, reject, reasonOf, newKey,
  IN_FLIGHT, get STATE_TEXT() { return i18n.dict().control.state }, _reset() { retry = null } }
