const { installWx } = require('./fake-wx')
const { load } = require('./pages')

function setup(status, channels = ['wechat_template', 'wxa_subscribe', 'sms']) {
  const seen = []
  let profile = { user_id: 7, channels, oa_openid: null, mp_openid: 'mp-1' }
  const state = installWx({ server: (opts) => {
    const key = `${opts.method} ${opts.url.replace('http://127.0.0.1:8000', '')}`
    seen.push(key)
    if (key === 'GET /api/v1/me/wechat') return { statusCode: 200, data: status }
    if (key === 'DELETE /api/v1/me/wechat') return { statusCode: 204, data: '' }
    if (key === 'GET /api/v1/me/notify-profile') return { statusCode: 200, data: profile }
    if (key === 'PUT /api/v1/me/notify-profile') {
      seen.push(opts.data)
      profile = { ...profile, ...opts.data }
      return { statusCode: 200, data: profile }
    }
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
  expect(seen).toEqual(['GET /api/v1/me/wechat', 'GET /api/v1/me/notify-profile',
    'DELETE /api/v1/me/wechat', 'POST /api/v1/auth/logout'])
  expect(wx.getStorageSync('gw.session')).toBe('')
  expect(state.reLaunched.url).toBe('/pages/login/index')
})

test('unbind cancelled in the dialog changes nothing', async () => {
  const { seen } = setup(BOUND)
  wx.showModal = jest.fn(({ success }) => success({ confirm: false, cancel: true }))
  const { page } = load('pages/settings/index')
  await page.instance.onShow()
  await page.instance.onUnbind()
  expect(seen).toEqual(['GET /api/v1/me/wechat', 'GET /api/v1/me/notify-profile'])
  expect(wx.getStorageSync('gw.session')).toMatchObject({ access_token: 'A1' })
})

test('notification channels: in the order tried, switched, moved up, saved; none is refused', async () => {
  const { seen } = setup(BOUND)
  const { page } = load('pages/settings/index')
  await page.instance.onShow()
  const titles = () => page.querySelectorAll('.channel').map((c) => c.dom.textContent.replace(/\s+/g, ''))
  expect(titles()).toEqual(['1.公众号模板消息', '2.小程序订阅消息上移', '3.短信上移', '浏览器推送'])
  expect(page.querySelector('#save-channels')).toBeFalsy()        // nothing changed yet

  page.instance.onToggle({ currentTarget: { dataset: { channel: 'wxa_subscribe' } }, detail: false })
  page.instance.onUp({ currentTarget: { dataset: { channel: 'sms' } } })
  expect(page.instance.data.channels).toEqual(['sms', 'wechat_template'])
  expect(page.querySelector('#save-channels')).toBeTruthy()
  await page.instance.onSaveChannels()
  expect(seen).toContainEqual({ channels: ['sms', 'wechat_template'] })
  expect(page.querySelector('#save-channels')).toBeFalsy()
  expect(titles()[0]).toBe('1.短信')

  page.instance.onToggle({ currentTarget: { dataset: { channel: 'sms' } }, detail: false })
  page.instance.onToggle({ currentTarget: { dataset: { channel: 'wechat_template' } }, detail: false })
  expect(page.querySelector('#no-channel').dom.textContent).toContain('至少保留一种通知方式')
  const puts = seen.filter((s) => typeof s === 'object').length
  await page.instance.onSaveChannels()
  expect(seen.filter((s) => typeof s === 'object')).toHaveLength(puts)   // not sent
})
