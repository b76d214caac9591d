// The one API client: base /api/v1, JWT access + refresh tokens, one refresh in flight
// shared by every concurrent 401 (and by other tabs, through the Web Locks API), the
// error shape {code, status, error, message, messageZh, errors}, and the last-data cache for
// offline.
import { clearSession, loadSession, saveSession, tokenExpiry } from './tokens.js'
import { getCached, putCached } from './cache.js'

export const BASE = '/api/v1'

export class ApiError extends Error {
  constructor({ status = 0, code, error = 'unknown', message = '', errors = null, messageZh = null } = {}) {
    super(message || error)
    this.name = 'ApiError'
    this.status = status
    this.code = code ?? status
    this.error = error
    this.errors = errors
    this.messageZh = messageZh // the server's Chinese reason, where it gives one (control)
  }
}

// Wired by main.js (toasts, router) and the stores; tests set their own.
const hooks = {
  notify: null, // (ApiError) => void: show it to the user
  onExpired: null, // () => void: the session is over (refresh refused)
  onFresh: null, // () => void: an answer came from the server
  onStale: null, // (at: ms) => void: an answer came from the offline cache
  onOffline: null, // () => void: the server could not be reached
}
export function configureApi(h) {
  Object.assign(hooks, h)
}

let session = loadSession()
export function getSession() {
  return session
}
export function setSession(s) {
  session = s
  if (s) saveSession(s)
  else clearSession()
}
/** Another tab changed the stored session: adopt it. */
export function reloadSession() {
  session = loadSession()
  return session
}

function networkError() {
  return new ApiError({ status: 0, error: 'network', message: 'network unavailable' })
}

let refreshing = null
/** Rotate the token pair. Resolves true (new pair), false (refused: session over);
 *  rejects with a network ApiError when the server cannot be reached. One at a time. */
export function refreshTokens() {
  if (!refreshing) refreshing = lockedRefresh().finally(() => { refreshing = null })
  return refreshing
}

function lockedRefresh() {
  const used = session?.refresh
  const run = async () => {
    const stored = loadSession()
    if (stored && stored.refresh !== used) { session = stored; return true } // another tab did it
    if (!used) return false
    let res
    try {
      res = await fetch(`${BASE}/auth/refresh`, {
        method: 'POST', headers: { Authorization: `Bearer ${used}`, Accept: 'application/json' },
      })
    } catch {
      throw networkError()
    }
    if (!res.ok) return false
    const body = await res.json()
    setSession({ access: body.access_token, refresh: body.refresh_token, user: body.user ?? session?.user })
    return true
  }
  const locks = globalThis.navigator?.locks
  return locks?.request ? locks.request('gw-token-refresh', run) : run()
}

/** An access token valid for at least ``marginMs`` more (refreshing if needed), or null. */
export async function freshAccessToken(marginMs = 30_000) {
  if (!session) return null
  const exp = tokenExpiry(session.access)
  if (exp && exp - Date.now() < marginMs) {
    const ok = await refreshTokens()
    if (!ok) { expire(); return null }
  }
  return session?.access ?? null
}

let expiring = false
function expire() {
  if (!session || expiring) return
  expiring = true
  setSession(null)
  try { hooks.onExpired?.() } finally { expiring = false }
}

export function buildPath(path, query) {
  if (!query) return path
  const qs = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue
    qs.append(k, Array.isArray(v) ? v.join(',') : String(v))
  }
  const s = qs.toString()
  return s ? `${path}${path.includes('?') ? '&' : '?'}${s}` : path
}

async function toApiError(res) {
  let body = {}
  try { body = await res.json() } catch { /* not JSON */ }
  return new ApiError({
    status: res.status, code: body.code ?? res.status, error: body.error || 'unknown',
    message: body.message || res.statusText, errors: body.errors || null,
    messageZh: body.message_zh || null,
  })
}

function fromCache(path, meta) {
  const hit = getCached(path)
  if (!hit) return undefined
  hooks.onStale?.(hit.at)
  return meta ? { data: hit.data, total: hit.total ?? null, stale: true, at: hit.at } : hit.data
}

/**
 * Call the API. Options: method, query, body (JSON), headers (extra request headers, e.g.
 * Idempotency-Key), auth (default true), cache (GET: keep the answer for offline use),
 * toast (default true: errors are shown), meta (resolve {data, total, stale, at} instead
 * of the data), blob (resolve the body as a Blob: a photo, which an <img> cannot fetch
 * with the token).
 */
export async function request(path, opts = {}) {
  const { method = 'GET', query, body, auth = true, cache = false, toast = true, meta = false } = opts
  const url = buildPath(path, query)
  const fail = (err) => {
    if (toast) hooks.notify?.(err)
    throw err
  }
  const headers = { ...opts.headers, Accept: 'application/json' }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  if (auth && session) headers.Authorization = `Bearer ${session.access}`
  let res
  try {
    res = await fetch(BASE + url, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    })
  } catch (e) {
    if (e?.name === 'AbortError') throw e
    hooks.onOffline?.()
    const hit = cache && method === 'GET' ? fromCache(url, meta) : undefined
    if (hit !== undefined) return hit
    return fail(networkError())
  }
  if (res.status === 401 && auth && session && !opts._retried) {
    let ok
    try {
      ok = await refreshTokens()
    } catch (e) {
      hooks.onOffline?.()
      const hit = cache && method === 'GET' ? fromCache(url, meta) : undefined
      if (hit !== undefined) return hit
      return fail(e)
    }
    if (ok) return request(path, { ...opts, _retried: true })
    expire()
    throw new ApiError({ status: 401, error: 'session_expired', message: 'session expired' })
  }
  if (res.status === 401 && auth && opts._retried) {
    expire()
    throw new ApiError({ status: 401, error: 'session_expired', message: 'session expired' })
  }
  if (!res.ok) return fail(await toApiError(res))
  const data = res.status === 204 ? null : opts.blob ? await res.blob() : await res.json()
  let total = null
  try { total = JSON.parse(res.headers.get('X-Pagination') || 'null')?.total ?? null } catch { /* none */ }
  if (cache && method === 'GET') putCached(url, { data, total })
  hooks.onFresh?.()
  return meta ? { data, total, stale: false, at: Date.now() } : data
}

export const api = {
  get: (path, opts) => request(path, { ...opts, method: 'GET' }),
  post: (path, body, opts) => request(path, { ...opts, method: 'POST', body }),
  put: (path, body, opts) => request(path, { ...opts, method: 'PUT', body }),
  patch: (path, body, opts) => request(path, { ...opts, method: 'PATCH', body }),
  del: (path, opts) => request(path, { ...opts, method: 'DELETE' }),
}
