// Remote switching (docs/control.md): commands, their history and approvals, sent through
// the one client. A command is sent with an Idempotency-Key: the same key returns the same
// command, never a second one. Options (``opts``) are the client's: cache, toast, meta.
import { api } from './client.js'

/** A fresh key for one user intent (a UUID; crypto.randomUUID needs a secure context). */
export function newIdempotencyKey() {
  const c = globalThis.crypto
  if (c?.randomUUID) return c.randomUUID()
  const b = c?.getRandomValues ? c.getRandomValues(new Uint8Array(16))
    : Uint8Array.from({ length: 16 }, () => Math.floor(Math.random() * 256))
  b[6] = (b[6] & 0x0f) | 0x40
  b[8] = (b[8] & 0x3f) | 0x80
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** ``body``: {action, value?, reason}; answers 202 with the command (queued, or
 *  awaiting_approval on a protected circuit). */
export function sendCommand(deviceId, body, key, opts = {}) {
  return api.post(`/devices/${deviceId}/commands`, body, { ...opts, headers: { 'Idempotency-Key': key } })
}

/** One command with its ``events`` [{state, at, actor_name, reason}] and ``can_approve``. */
export function getCommand(id, opts) {
  return api.get(`/commands/${id}`, opts)
}

/** ``params``: site_id, device_id, state, awaiting_my_approval, page, page_size. */
export function listCommands(params, opts = {}) {
  return api.get('/commands', { ...opts, query: params })
}

/** A device's command history, newest first. */
export function deviceCommands(deviceId, params, opts = {}) {
  return api.get(`/devices/${deviceId}/commands`, { ...opts, query: params })
}

export function approveCommand(id, comment, opts = {}) {
  return api.post(`/commands/${id}/approve`, comment ? { comment } : {}, opts)
}

/** A rejection needs its reason. */
export function rejectCommand(id, comment, opts = {}) {
  return api.post(`/commands/${id}/reject`, { comment }, opts)
}

export function cancelCommand(id, comment, opts = {}) {
  return api.post(`/commands/${id}/cancel`, comment ? { comment } : {}, opts)
}

/** A device's settings, read from the device now: ``{device_id, read_at, values,
 *  settings: [{name, unit, writable, min, max, default, options, description}]}``
 *  (504 device_no_answer when it does not answer). */
export function deviceSettings(deviceId, opts = {}) {
  return api.get(`/devices/${deviceId}/settings`, opts)
}

/** ``body``: {values: {name: value}, reason}; answers 202 with a command (action
 *  ``settings``), 422 invalid_setting with ``errors`` keyed ``values.<name>``. */
export function changeSettings(deviceId, body, key, opts = {}) {
  return api.put(`/devices/${deviceId}/settings`, body, { ...opts, headers: { 'Idempotency-Key': key } })
}

/** A group command: ``body`` {action, reason, device_ids | area_id (+kind) | board_id};
 *  answers 202 ``{batch_id, commands, refused: [{device_id, error, message, message_zh}]}``. */
export function sendBatch(body, key, opts = {}) {
  return api.post('/commands/batches', body, { ...opts, headers: { 'Idempotency-Key': key } })
}
