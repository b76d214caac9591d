// Energy (docs/energy.md): the overview, the trend of a node, a feeder's balance, and the
// meter replacements. Options (``opts``) are the client's: cache, toast, meta.
import { api } from './client.js'

/** ``params``: site_id (default: all the user's sites), top. */
export function energyOverview(params, opts = {}) {
  return api.get('/energy/overview', { ...opts, query: params })
}

/** ``params``: node (site|area|board|circuit|device), node_id, interval, start, end. */
export function energyTrend(params, opts = {}) {
  return api.get('/energy/trend', { ...opts, query: params })
}

/** ``params``: circuit_id or board_id, start, end, flag_pct. */
export function energyBalance(params, opts = {}) {
  return api.get('/energy/balance', { ...opts, query: params })
}

export function listMeterReplacements(params, opts = {}) {
  return api.get('/meter-replacements', { ...opts, query: params })
}

/** ``body``: {device_id, at, readings: {counter: {old_final, new_initial}}, note}. */
export function createMeterReplacement(body, opts = {}) {
  return api.post('/meter-replacements', body, opts)
}
