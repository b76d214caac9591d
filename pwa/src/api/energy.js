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

/** ``params``: node, node_id, compare (yoy|mom), interval (hour|day|month), start, end. */
export function energyCompare(params, opts = {}) {
  return api.get('/energy/compare', { ...opts, query: params })
}

/** ``params``: site_id, by (area|category), start, end (local days), parent_area_id. */
export function energyShare(params, opts = {}) {
  return api.get('/energy/share', { ...opts, query: params })
}

/** ``params``: site_id, by (area|circuit), start, end (local days), top, parent_area_id. */
export function energyRanking(params, opts = {}) {
  return api.get('/energy/ranking', { ...opts, query: params })
}

/** ``params``: node (site|area), node_id, start, end (months, as their first days). */
export function energyKpis(params, opts = {}) {
  return api.get('/energy/kpis', { ...opts, query: params })
}
