// The facility: the sites granted to the user and one site's topology (boards, circuits,
// devices). Options (``opts``) are the client's: cache, toast, meta.
import { api } from './client.js'

export function listSites(params, opts = {}) {
  return api.get('/sites', { ...opts, query: params })
}

export function siteTopology(siteId, opts) {
  return api.get(`/sites/${siteId}/topology`, opts)
}
