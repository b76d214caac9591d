// The request wrapper with a mocked wx: token, one shared refresh on 401, timeout,
// errors in Chinese.
const { installWx } = require('./fake-wx')

const PAIR = { access_token: 'A1', refresh_token: 'R1', user: { username: 'duty1' } }

function setup(server) {
  const state = installWx({ server })
  wx.setStorageSync('gw.session', PAIR)
  return { state, api: require('../utils/request'), session: require('../utils/session') }
}

test('attaches the access token and returns the body', async () => {
  const { state, api } = setup(() => ({ statusCode: 200, data: [{ id: 1 }] }))
  await expect(api.get('/api/v1/alarms')).resolves.toEqual([{ id: 1 }])
  expect(state.requests[0].header.Authorization).toBe('Bearer A1')
  expect(state.requests[0].url).toBe('http://127.0.0.1:8000/api/v1/alarms')
})

test('concurrent 401s share one refresh, then each repeats once with the new token', async () => {
  let refreshes = 0
  const { state, api, session } = setup((opts) => {
    if (opts.url.endsWith('/auth/refresh')) {
      refreshes += 1
      expect(opts.header.Authorization).toBe('Bearer R1')
      return new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200,
        data: { access_token: 'A2', refresh_token: 'R2' } }), 5))
    }
    return opts.header.Authorization === 'Bearer A2'
      ? { statusCode: 200, data: { ok: opts.url } }
      : { statusCode: 401, data: { error: 'token_expired' } }
  })
  const results = await Promise.all([api.get('/a'), api.get('/b'), api.get('/c')])
  expect(results.map((r) => r.ok)).toEqual(['http://127.0.0.1:8000/a',
    'http://127.0.0.1:8000/b', 'http://127.0.0.1:8000/c'])
  expect(refreshes).toBe(1)
  expect(session.get()).toMatchObject({ access_token: 'A2', refresh_token: 'R2',
    user: { username: 'duty1' } })
  expect(state.requests.filter((r) => !r.url.endsWith('/refresh'))).toHaveLength(6)
})

test('a 401 after another request refreshed repeats with the new token, no new refresh', async () => {
  let refreshes = 0
  const { api, session } = setup((opts) => {
    if (opts.url.endsWith('/auth/refresh')) { refreshes += 1; return { statusCode: 500 } }
    return opts.header.Authorization === 'Bearer A2' ? { statusCode: 200, data: 'ok' }
      : { statusCode: 401, data: { error: 'token_expired' } }
  })
  const pending = api.get('/slow')
  session.save({ access_token: 'A2', refresh_token: 'R2' })   // another request refreshed
  await expect(pending).resolves.toBe('ok')
  expect(refreshes).toBe(0)
})

test('a refused refresh ends the session: back to the login page, error in Chinese', async () => {
  const { state, api, session } = setup((opts) => opts.url.endsWith('/auth/refresh')
    ? { statusCode: 401, data: { error: 'refresh_token_reused' } }
    : { statusCode: 401, data: { error: 'token_expired' } })
  await expect(api.get('/a')).rejects.toMatchObject({ status: 401,
    code: 'refresh_token_reused', text: '登录已失效，请重新登录' })
  expect(session.get()).toBeNull()
  expect(state.reLaunched.url).toBe('/pages/login/index')
  expect(state.toasts).toEqual(['登录已失效，请重新登录'])
})

test('no refresh for requests without the token (logging in)', async () => {
  const { state, api } = setup(() => ({ statusCode: 401, data: { error: 'invalid_credentials' } }))
  await expect(api.post('/api/v1/auth/wechat/bind', {}, { auth: false })).rejects
    .toMatchObject({ code: 'invalid_credentials', text: '用户名或密码错误' })
  expect(state.requests).toHaveLength(1)
  expect(state.requests[0].header.Authorization).toBeUndefined()
})

test('times out: aborts the request and says so in Chinese', async () => {
  jest.useFakeTimers()
  try {
    const { state, api } = setup(() => null)          // never answers
    const pending = api.get('/stuck', { timeout: 1000 })
    const outcome = expect(pending).rejects.toMatchObject({ status: 0, code: 'timeout',
      text: '请求超时，请检查网络后重试' })
    await jest.advanceTimersByTimeAsync(1000)
    await outcome
    expect(state.aborted).toBe(1)
    expect(state.requests[0].timeout).toBe(1000)
  } finally {
    jest.useRealTimers()
  }
})

test("wx.request's own timeout and network failures", async () => {
  const { api } = setup((opts) => ({ fail: opts.url.endsWith('/t') ? 'request:fail timeout'
    : 'request:fail' }))
  await expect(api.get('/t', { silent: true })).rejects.toMatchObject({ code: 'timeout' })
  await expect(api.get('/n', { silent: true })).rejects.toMatchObject({ code: 'network',
    text: '网络不可用' })
  expect(global.__wx.toasts).toEqual([])                   // silent: no toast
})

test('an unknown code falls back to the status; a known one is the PWA text', async () => {
  const { api } = setup((opts) => opts.url.endsWith('/x')
    ? { statusCode: 418, data: { error: 'teapot' } }
    : { statusCode: 429, data: { error: 'wechat_rate_limited' } })
  await expect(api.get('/x')).rejects.toMatchObject({ text: '请求失败（418）' })
  await expect(api.get('/y')).rejects.toMatchObject({ text: '微信登录过于频繁，请一分钟后再试' })
})
