// Measurements: the latest values of a site's or a device's devices, a device's history,
// the devices' online status, and the URL of the live stream (Server-Sent Events).
// Options (``opts``) are the client's: cache, toast, meta.
import { BASE, api, buildPath } from './client.js'

/** The latest values of every device of a site. */
export function siteLatest(siteId, opts = {}) {
  return api.get(`/sites/${siteId}/latest`, { query: { page_size: 5000 }, ...opts })
}

export function deviceLatest(id, opts) {
  return api.get(`/devices/${id}/latest`, opts)
}

/** ``params``: metrics, start, end (and the bucket the API may pick). */
export function deviceHistory(id, params, opts = {}) {
  return api.get(`/devices/${id}/history`, { ...opts, query: params })
}

/** ``params``: site_id, online, page_size...; with ``meta`` the X-Pagination total too. */
export function deviceStatus(params, opts = {}) {
  return api.get('/device-status', { ...opts, query: params })
}

/** A single-use ticket for one stream connection: ``{ticket, expires_in}`` (seconds).
 *  EventSource cannot send the Authorization header, and a token in a URL reaches logs. */
export function streamTicket(opts = {}) {
  return api.post('/stream/ticket', undefined, { toast: false, ...opts })
}

/** The EventSource URL of a site's stream: ``params`` site_id, ticket, last_event_id. */
export function streamUrl(params) {
  return BASE + buildPath('/stream', params)
}
