const { installWx } = require('./fake-wx')
const { load } = require('./pages')

function setup(status) {
  const seen = []
  const state = installWx({ server: (opts) => {
    const key = `${opts.method} ${opts.url.replace('http://127.0.0.1:8000', '')}`
    seen.push(key)
    if (key === 'GET /api/v1/me/wechat') return { statusCode: 200, data: status }
    if (key === 'DELETE /api/v1/me/wechat') return { statusCode: 204, data: '' }
    if (key === 'POST /api/v1/auth/logout') return { statusCode: 204, data: '' }
    return { statusCode: 404, data: { error: 'not_found' } }
  } })
  wx.setStorageSync('gw.session', { access_token: 'A1', refresh_token: 'R1',
    user: { username: 'duty1', display_name: '值班一' } })
  return { state, seen }
}

const BOUND = { bound: true, official_account_linked: true, subscribe_template_id: 'SUB-ALARM',
  grants_left: 2, last_result: 'accept' }

test('settings show the binding and the grants left', async () => {
  setup(BOUND)
  const { page } = load('pages/settings/index')
  await page.instance.onShow()
  const html = page.dom.innerHTML
  expect(html).toContain('值班一')
  expect(html).toContain('已绑定')
  expect(html).toContain('2 条')
  expect(html).not.toContain('订阅消息已用完')
})

test('no grants left: alarms reach the person only through the official account or SMS', async () => {
  setup({ ...BOUND, grants_left: 0 })
  const { page } = load('pages/settings/index')
  await page.instance.onShow()
  expect(page.dom.innerHTML).toContain('报警只会通过公众号或短信送达')
})

test('unbind asks first, unbinds, logs out and goes to the login page', async () => {
  const { state, seen } = setup(BOUND)
  const { page } = load('pages/settings/index')
  await page.instance.onShow()
  await page.instance.onUnbind()
  expect(wx.showModal).toHaveBeenCalled()
  expect(seen).toEqual(['GET /api/v1/me/wechat', 'DELETE /api/v1/me/wechat',
    'POST /api/v1/auth/logout'])
  expect(wx.getStorageSync('gw.session')).toBe('')
  expect(state.reLaunched.url).toBe('/pages/login/index')
})

test('unbind cancelled in the dialog changes nothing', async () => {
  const { seen } = setup(BOUND)
  wx.showModal = jest.fn(({ success }) => success({ confirm: false, cancel: true }))
  const { page } = load('pages/settings/index')
  await page.instance.onShow()
  await page.instance.onUnbind()
  expect(seen).toEqual(['GET /api/v1/me/wechat'])
  expect(wx.getStorageSync('gw.session')).toMatchObject({ access_token: 'A1' })
})
