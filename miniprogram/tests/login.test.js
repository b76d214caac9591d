const { installWx, flush } = require('./fake-wx')
const { load } = require('./pages')

function server(routes) {
  return (opts) => {
    const key = `${opts.method} ${opts.url.replace('http://127.0.0.1:8000', '')}`
    const route = routes[key]
    if (!route) return { statusCode: 404, data: { error: 'not_found' } }
    return typeof route === 'function' ? route(opts) : route
  }
}

const PAIR = { access_token: 'A1', refresh_token: 'R1', token_type: 'Bearer',
  user: { id: 7, username: 'duty1', display_name: '值班一' } }

test('a bound WeChat logs straight in and goes to my alarms', async () => {
  const state = installWx({ server: server({ 'POST /api/v1/auth/wechat/login': (opts) => {
    expect(opts.data).toEqual({ code: 'CODE_1' })
    return { statusCode: 200, data: { bound: true, ...PAIR } }
  } }) })
  const { page } = load('pages/login/index')
  page.instance.onLoad()
  expect(page.querySelector('#wechat-login')).toBeTruthy()
  page.querySelector('#wechat-login').dispatchEvent('click')   // van-button's bind:click
  await flush()
  expect(state.switchedTab.url).toBe('/pages/alarms/index')
  expect(wx.getStorageSync('gw.session')).toMatchObject({ access_token: 'A1',
    user: { username: 'duty1' } })
})

test('an unknown WeChat binds with username and password, which is not kept', async () => {
  const state = installWx({ server: server({
    'POST /api/v1/auth/wechat/login': { statusCode: 200,
      data: { bound: false, bind_ticket: 'T1', expires_in: 300 } },
    'POST /api/v1/auth/wechat/bind': (opts) => {
      expect(opts.data).toEqual({ ticket: 'T1', username: 'duty1', password: 'pw-123456' })
      return { statusCode: 200, data: PAIR }
    },
  }) })
  const { page } = load('pages/login/index')
  await page.instance.onWeChatLogin()
  page.instance.onUsername({ detail: ' duty1 ' })
  page.instance.onPassword({ detail: 'pw-123456' })
  expect(page.querySelector('#bind')).toBeTruthy()
  expect(page.querySelector('#wechat-login')).toBeFalsy()
  await page.instance.onBind()
  expect(state.switchedTab.url).toBe('/pages/alarms/index')
  expect(JSON.stringify(wx.getStorageSync('gw.session'))).not.toContain('pw-123456')
  expect(page.instance.data.password).toBe('')
})

test('a wrong password shows the Chinese error and keeps the bind form', async () => {
  installWx({ server: server({
    'POST /api/v1/auth/wechat/login': { statusCode: 200,
      data: { bound: false, bind_ticket: 'T1', expires_in: 300 } },
    'POST /api/v1/auth/wechat/bind': { statusCode: 401, data: { error: 'invalid_credentials' } },
  }) })
  const { page } = load('pages/login/index')
  await page.instance.onWeChatLogin()
  page.instance.onUsername({ detail: 'duty1' })
  page.instance.onPassword({ detail: 'wrong' })
  await page.instance.onBind()
  expect(page.instance.data.step).toBe('bind')
  expect(page.querySelector('.error').dom.textContent).toBe('用户名或密码错误')
})

test('an expired ticket goes back to the WeChat login step', async () => {
  installWx({ server: server({
    'POST /api/v1/auth/wechat/login': { statusCode: 200,
      data: { bound: false, bind_ticket: 'T1', expires_in: 300 } },
    'POST /api/v1/auth/wechat/bind': { statusCode: 401, data: { error: 'wechat_ticket_invalid' } },
  }) })
  const { page } = load('pages/login/index')
  await page.instance.onWeChatLogin()
  page.instance.onUsername({ detail: 'duty1' })
  page.instance.onPassword({ detail: 'pw-123456' })
  await page.instance.onBind()
  expect(page.instance.data.step).toBe('wechat')
  expect(page.instance.data.error).toBe('绑定已超时，请重新进行微信登录')
})

test('WeChat refusing the login is shown in Chinese', async () => {
  installWx({ server: server({ 'POST /api/v1/auth/wechat/login':
    { statusCode: 403, data: { error: 'wechat_user_blocked' } } }) })
  const { page } = load('pages/login/index')
  await page.instance.onWeChatLogin()
  expect(page.instance.data.error).toBe('微信判定该用户存在风险，拒绝登录')
  expect(page.instance.data.step).toBe('wechat')
})
