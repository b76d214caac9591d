// The admin console's API helpers, on top of the one client (src/api/client.js): pages
// with their X-Pagination total, every page of a small list, generic CRUD of a resource,
// the 422/409 error details a form shows, the raw-body calls the JSON client cannot
// make (YAML/CSV import, file export), and the console's other endpoints (audit log,
// rule catalogue, a device's effective limits, notify profiles).
import { ApiError, BASE, api, buildPath, freshAccessToken, refreshTokens } from '../../api/client.js'
import { fieldMessage } from '../../api/errors.js'
import { RESOURCES } from './resources.js'

/** One page: {items, total}. ``page`` counts from 1 (flask-smorest). */
export async function listPage(path, query = {}, page = 1, pageSize = 20) {
  const r = await api.get(path, { query: { ...query, page, page_size: pageSize }, meta: true })
  return { items: r.data, total: r.total ?? r.data.length }
}

/** Every row of a (small) list, page by page. */
export async function listAll(path, query = {}, pageSize = 500) {
  const out = []
  for (let page = 1; page < 100; page++) {
    const { items, total } = await listPage(path, query, page, pageSize)
    out.push(...items)
    if (!items.length || out.length >= total) break
  }
  return out
}

/** ``GET/POST {path}``, ``GET/PUT/DELETE {path}/{id}``; writes do not toast (the form shows it). */
export function crud(path) {
  return {
    page: (query, page, size) => listPage(path, query, page, size),
    all: (query) => listAll(path, query),
    get: (id) => api.get(`${path}/${id}`),
    create: (body) => api.post(path, body, { toast: false }),
    update: (id, body) => api.put(`${path}/${id}`, body, { toast: false }),
    remove: (id) => api.del(`${path}/${id}`, { toast: false }),
  }
}

/** The CRUD of one of RESOURCES (by key: 'sites', 'devices', 'rules'...). */
export function resourceApi(key) {
  return crud(RESOURCES[key].path)
}

/** One page of the audit log: {items, total}. */
export function auditPage(query, page, pageSize) {
  return listPage('/audit', query, page, pageSize)
}

/** The alarm-rule catalogue: every rule with its defaults. */
export function ruleCatalogue() {
  return api.get('/alarm-rules/catalogue')
}

/** A device's effective limits (catalogue defaults and the overrides that apply). */
export function deviceAlarmRules(deviceId) {
  return api.get(`/devices/${deviceId}/alarm-rules`)
}

export function getNotifyProfile(userId) {
  return api.get(`/users/${userId}/notify-profile`)
}

/** Save a notify profile; no toast (the form shows the error). */
export function saveNotifyProfile(userId, body) {
  return api.put(`/users/${userId}/notify-profile`, body, { toast: false })
}

/** A 422's per-field messages as {field: 'text'} (nested lists/dicts flattened). */
export function fieldErrors(err) {
  const out = {}
  const errors = err?.errors
  if (!errors || typeof errors !== 'object' || Array.isArray(errors)) return out
  const flat = (v) => (Array.isArray(v) ? v.map(flat).join('; ')
    : v && typeof v === 'object' ? Object.entries(v).map(([k, x]) => `${k}: ${flat(x)}`).join('; ') : fieldMessage(v))
  for (const [field, v] of Object.entries(errors)) {
    if (field === 'dependents') continue
    out[field] = flat(v)
  }
  return out
}

/** The message of a blocked delete (409 has_dependents), or null. */
export function dependencyMessage(err) {
  return err?.status === 409 && err.error === 'has_dependents' ? err.message : null
}

async function toError(res) {
  let body = {}
  try { body = await res.json() } catch { /* not JSON */ }
  return new ApiError({ status: res.status, code: body.code ?? res.status, error: body.error || 'unknown',
    message: body.message || res.statusText, errors: body.errors || null })
}

/** A call with a raw body (string or FormData) or a raw answer; the client's token handling. */
export async function rawRequest(path, { method = 'GET', query, body, type, answer = 'json' } = {}) {
  const go = async () => {
    const token = await freshAccessToken()
    const headers = {}
    if (token) headers.Authorization = `Bearer ${token}`
    if (type) headers['Content-Type'] = type
    try {
      return await fetch(BASE + buildPath(path, query), { method, headers, body })
    } catch {
      throw new ApiError({ status: 0, error: 'network', message: 'network unavailable' })
    }
  }
  let res = await go()
  if (res.status === 401 && await refreshTokens().catch(() => false)) res = await go()
  if (!res.ok) throw await toError(res)
  if (answer === 'blob') {
    const cd = res.headers.get('Content-Disposition') || ''
    return { blob: await res.blob(), filename: /filename="([^"]+)"/.exec(cd)?.[1] || null }
  }
  return res.json()
}

/** Import a facility (YAML text or a File); ``dryRun`` validates and writes nothing. */
export function importFacility(source, dryRun) {
  const query = { dry_run: dryRun ? 'true' : 'false' }
  if (typeof source === 'string') {
    return rawRequest('/facility/import', { method: 'POST', query, body: source, type: 'application/yaml' })
  }
  const form = new FormData()
  form.append('file', source)
  return rawRequest('/facility/import', { method: 'POST', query, body: form })
}

/** Download the site's YAML (``kind`` 'yaml') or device list ('csv') as a file. */
export async function downloadExport(siteId, kind) {
  const path = kind === 'csv' ? `/sites/${siteId}/devices.csv` : `/sites/${siteId}/export`
  const { blob, filename } = await rawRequest(path, { answer: 'blob' })
  const url = URL.createObjectURL(blob)
  const a = Object.assign(document.createElement('a'), { href: url, download: filename || `site-${siteId}.${kind}` })
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
  return filename
}

/** Only the keys a form may send (the schemas refuse unknown fields). */
export function pick(obj, keys) {
  const out = {}
  for (const k of keys) if (k in obj) out[k] = obj[k]
  return out
}

/** A staff user's control grants on your sites: ``{user_id, grants: [{site_id, scope, target_id}]}``. */
export function getControlGrants(userId) {
  return api.get(`/users/${userId}/control-grants`)
}

/** Replace the user's grants on your sites with ``grants`` ([{scope, target_id}]); no toast. */
export function saveControlGrants(userId, grants) {
  return api.put(`/users/${userId}/control-grants`, { grants }, { toast: false })
}

/** Every device profile a device may use: ``[{name, model, vendor, kinds, source, version,
 *  uploaded_at, uploaded_by, controls, settings, metrics, errors}]``. */
export function listProfiles() {
  return api.get('/device-profiles', { toast: false })
}

/** Upload a profile (YAML text or a File; system administrators): the new entry. A 422
 *  (profile_invalid) has ``errors.profile`` (each "path: message"). */
export function uploadProfile(source) {
  if (typeof source === 'string') {
    return rawRequest('/device-profiles', { method: 'POST', body: source, type: 'application/yaml' })
  }
  const form = new FormData()
  form.append('file', source)
  return rawRequest('/device-profiles', { method: 'POST', body: form })
}

/** Download a profile's YAML (the version devices use) as a file. */
export async function downloadProfile(name) {
  const { blob, filename } = await rawRequest(`/device-profiles/${encodeURIComponent(name)}`, { answer: 'blob' })
  const url = URL.createObjectURL(blob)
  const a = Object.assign(document.createElement('a'), { href: url, download: filename || `${name}.yaml` })
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
  return filename
}

/** Scenes and schedules (docs/automation.md): their CRUD. */
export const scenesApi = crud('/scenes')
export const schedulesApi = crud('/schedules')
/** Time-of-use tariff versions (docs/energy.md, "Cost"): their CRUD. */
export const tariffsApi = crud('/energy-tariffs')
