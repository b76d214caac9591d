import { beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError, api, configureApi, getSession, refreshTokens, setSession } from '../../src/api/client.js'
import { setCacheOwner } from '../../src/api/cache.js'
import { fakeJwt, json, mockFetch } from './helpers.js'

const hooks = { notify: vi.fn(), onExpired: vi.fn(), onFresh: vi.fn(), onStale: vi.fn(), onOffline: vi.fn() }

beforeEach(() => {
  for (const h of Object.values(hooks)) h.mockReset()
  configureApi(hooks)
  setCacheOwner(7)
  setSession({ access: fakeJwt('old'), refresh: 'refresh-1', user: { id: 7, username: 'u' } })
})

describe('api client', () => {
  it('sends the access token to /api/v1 and resolves JSON', async () => {
    const fetch = mockFetch(() => json(200, [{ id: 1 }], { 'X-Pagination': '{"total": 41}' }))
    const r = await api.get('/sites', { query: { page_size: 100, q: undefined }, meta: true })
    expect(r).toMatchObject({ data: [{ id: 1 }], total: 41, stale: false })
    const [url, init] = fetch.mock.calls[0]
    expect(url).toBe('/api/v1/sites?page_size=100')
    expect(init.headers.Authorization).toBe(`Bearer ${getSession().access}`)
    expect(hooks.onFresh).toHaveBeenCalled()
  })

  it('shares one refresh between concurrent 401s, then retries each request once', async () => {
    const fresh = fakeJwt('new')
    let refreshes = 0
    const fetch = mockFetch(async (url, init) => {
      if (url.endsWith('/auth/refresh')) {
        refreshes++
        expect(init.headers.Authorization).toBe('Bearer refresh-1')
        await new Promise((r) => setTimeout(r, 10))
        return json(200, { access_token: fresh, refresh_token: 'refresh-2' })
      }
      return init.headers.Authorization === `Bearer ${fresh}` ? json(200, { ok: url })
        : json(401, { code: 401, status: 'Unauthorized', error: 'token_expired', message: 'expired' })
    })
    const results = await Promise.all(['/a', '/b', '/c'].map((p) => api.get(p)))
    expect(results.map((r) => r.ok)).toEqual(['/api/v1/a', '/api/v1/b', '/api/v1/c'])
    expect(refreshes).toBe(1)
    expect(fetch).toHaveBeenCalledTimes(7)
    expect(getSession()).toMatchObject({ access: fresh, refresh: 'refresh-2', user: { id: 7 } })
    expect(JSON.parse(localStorage.getItem('gw.auth')).refresh).toBe('refresh-2')
  })

  it('ends the session once when the refresh token is refused', async () => {
    mockFetch((url) => (url.endsWith('/auth/refresh')
      ? json(401, { error: 'token_revoked' }) : json(401, { error: 'token_expired' })))
    const errors = await Promise.allSettled([api.get('/a'), api.get('/b')])
    for (const e of errors) expect(e.reason).toMatchObject({ status: 401, error: 'session_expired' })
    expect(hooks.onExpired).toHaveBeenCalledTimes(1)
    expect(getSession()).toBeNull()
    expect(localStorage.getItem('gw.auth')).toBeNull()
    expect(hooks.notify).not.toHaveBeenCalled()
  })

  it('adopts tokens another tab rotated instead of refreshing again', async () => {
    localStorage.setItem('gw.auth', JSON.stringify({ access: 'tab2', refresh: 'refresh-9', user: { id: 7 } }))
    const fetch = mockFetch(() => json(500, {}))
    expect(await refreshTokens()).toBe(true)
    expect(fetch).not.toHaveBeenCalled()
    expect(getSession().refresh).toBe('refresh-9')
  })

  it('surfaces the error shape and notifies', async () => {
    mockFetch(() => json(422, { code: 422, status: 'Unprocessable Entity', error: 'validation_error',
      message: 'Invalid input: name', errors: { json: { name: ['required'] } } }))
    const err = await api.post('/sites', {}).catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ status: 422, code: 422, error: 'validation_error', message: 'Invalid input: name' })
    expect(err.errors).toEqual({ json: { name: ['required'] } })
    expect(hooks.notify).toHaveBeenCalledWith(err)
  })

  it('does not notify when asked not to', async () => {
    mockFetch(() => json(404, { error: 'not_found', message: 'nope' }))
    await expect(api.get('/x', { toast: false })).rejects.toMatchObject({ status: 404 })
    expect(hooks.notify).not.toHaveBeenCalled()
  })

  it('serves the last good answer when the network is gone, and says so', async () => {
    mockFetch(() => json(200, { power: 42 }))
    await api.get('/sites/1/latest', { cache: true })
    mockFetch(() => { throw new TypeError('Failed to fetch') })
    const r = await api.get('/sites/1/latest', { cache: true, meta: true })
    expect(r).toMatchObject({ data: { power: 42 }, stale: true })
    expect(hooks.onStale).toHaveBeenCalledWith(r.at)
    expect(hooks.onOffline).toHaveBeenCalled()
    // nothing cached: a network error, shown to the user
    await expect(api.get('/other', { cache: true })).rejects.toMatchObject({ status: 0, error: 'network' })
    expect(hooks.notify).toHaveBeenCalledTimes(1)
  })

  it('keeps cached answers per user', async () => {
    mockFetch(() => json(200, { who: 7 }))
    await api.get('/auth/me', { cache: true })
    setCacheOwner(8)
    mockFetch(() => { throw new TypeError('offline') })
    await expect(api.get('/auth/me', { cache: true, toast: false })).rejects.toMatchObject({ error: 'network' })
  })

  it('does not send a token when auth is off (login)', async () => {
    const fetch = mockFetch(() => json(401, { error: 'invalid_credentials', message: 'Wrong username or password' }))
    await expect(api.post('/auth/login', { username: 'a', password: 'b' }, { auth: false }))
      .rejects.toMatchObject({ error: 'invalid_credentials' })
    expect(fetch.mock.calls[0][1].headers.Authorization).toBeUndefined()
    expect(fetch).toHaveBeenCalledTimes(1) // no refresh attempt
  })
})
