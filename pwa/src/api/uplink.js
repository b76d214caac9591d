// The site box's uplink (docs/sitelink.md): this box's link, a site's link as the centre
// sees it, and the site's credentials (the token shown once, at creation).
import { api } from './client.js'

export const uplinkStatus = (opts = {}) => api.get('/uplink/status', opts)
export const uplinkResume = (opts = {}) => api.post('/uplink/resume', undefined, opts)
export const siteLink = (siteId, opts = {}) => api.get(`/sites/${siteId}/uplink`, opts)
export const listCredentials = (siteId, opts = {}) => api.get(`/sites/${siteId}/credentials`, opts)
export const createCredential = (siteId, opts = {}) => api.post(`/sites/${siteId}/credentials`, undefined, opts)
export const revokeCredential = (siteId, id, opts = {}) => api.del(`/sites/${siteId}/credentials/${id}`, opts)
// Configuration down (accounts): a local admin's decision on a user changed at this box.
// A user by name; a rule, scene or schedule by its kind and key (GET /uplink/status).
export const resolveConfig = (change, keep, opts = {}) => api.post('/uplink/config/resolve',
  !change.kind || change.kind === 'users' ? { username: change.username ?? change.key, keep } : { kind: change.kind, key: change.key, keep }, opts)
// At the centre: the site boxes' local changes and conflicts as they reported them (the
// caller's sites; ``conflicts: true`` only conflicts). Resolved at each box.
export const siteConfigChanges = (params = {}, opts = {}) => api.get('/uplink/config/changes', { ...opts, query: params })
