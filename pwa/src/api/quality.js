// Power quality (docs/quality.md): a site's or a monitoring point's quality over a period,
// the fault location now, the diagnosis rule table. Options (``opts``) are the client's.
import { api } from './client.js'

/** ``params``: start, end (default: the last 24 hours). */
export function siteQuality(siteId, params = {}, opts = {}) {
  return api.get(`/sites/${siteId}/quality`, { ...opts, query: params })
}

export function pointQuality(deviceId, params = {}, opts = {}) {
  return api.get(`/devices/${deviceId}/quality`, { ...opts, query: params })
}

/** ``params``: device_id (only the faults that concern that device: an alarm's). */
export function faultLocation(siteId, params = {}, opts = {}) {
  return api.get(`/sites/${siteId}/fault-location`, { ...opts, query: params })
}

export function qualityRules(opts = {}) {
  return api.get('/quality/rules', opts)
}
