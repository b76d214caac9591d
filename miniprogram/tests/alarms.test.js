// My alarms (active first, badge, polling), the alarm card, the alarm detail with
// acknowledge, comment and the re-ask for a subscribe grant.
const { installWx, flush } = require('./fake-wx')
const { load } = require('./pages')

const ALARMS = [
  { id: 1, level: 'warning', state: 'acknowledged', message: '温度偏高', raised_at: '2026-12-02T01:00:00Z' },
  { id: 2, level: 'warning', state: 'active', message: '电压偏低', raised_at: '2026-12-02T02:00:00Z' },
  { id: 3, level: 'alarm', state: 'active', message: '漏电报警', raised_at: '2026-12-02T00:30:00Z' },
]

function serve(routes) {
  return (opts) => {
    const key = `${opts.method} ${opts.url.replace('http://127.0.0.1:8000', '').split('?')[0]}`
    const route = routes[key]
    if (!route) return { statusCode: 404, data: { error: 'not_found' } }
    return typeof route === 'function' ? route(opts) : route
  }
}

function loggedIn(routes) {
  const state = installWx({ server: serve(routes) })
  wx.setStorageSync('gw.session', { access_token: 'A1', refresh_token: 'R1',
    user: { username: 'duty1', display_name: '值班一' } })
  return state
}

test('the alarm card shows level, message, state and China time, and opens on tap', async () => {
  installWx()
  const { page } = load('components/alarm-card/index')
  page.setData({ alarm: ALARMS[2] })
  expect(page.querySelector('.message').dom.textContent).toBe('漏电报警')
  expect(page.querySelector('.state').dom.textContent).toBe('未处理')
  expect(page.querySelector('.time').dom.textContent).toBe('12-02 08:30')
  expect(page.dom.innerHTML).toMatch(/van-tag[^>]*danger/)      // the level tag, in red
  const opened = jest.fn()
  page.addEventListener('open', opened)
  page.querySelector('.card').dispatchEvent('tap')
  await flush()
  expect(opened).toHaveBeenCalled()
  expect(opened.mock.calls[0][0].detail).toEqual({ id: 3 })
  page.setData({ alarm: ALARMS[1] })
  expect(page.dom.innerHTML).toContain('预警')
})

test('my alarms: active first (alarm before warning), the badge, polling while shown', async () => {
  jest.useFakeTimers()
  try {
    let calls = 0
    const state = loggedIn({ 'GET /api/v1/alarms': (opts) => {
      calls += 1
      expect(opts.url).toContain('state=active,acknowledged')
      return { statusCode: 200, data: calls === 1 ? ALARMS : ALARMS.slice(0, 1) }
    } })
    const { page } = load('pages/alarms/index')
    page.instance.onShow()
    await jest.advanceTimersByTimeAsync(0)
    expect(page.instance.data.alarms.map((a) => a.id)).toEqual([3, 2, 1])
    expect(page.querySelectorAll('.alarm-item')).toHaveLength(3)
    expect(page.querySelector('#badge').dom.textContent.trim()).toBe('2')
    expect(state.badge).toEqual({ index: 0, text: '2' })

    await jest.advanceTimersByTimeAsync(15000)                   // config.alarmPollMs
    expect(calls).toBe(2)
    expect(page.instance.data.activeCount).toBe(0)
    expect(state.badge).toBeNull()                               // badge removed
    page.instance.onHide()
    await jest.advanceTimersByTimeAsync(60000)
    expect(calls).toBe(2)                                        // no polling when hidden
  } finally {
    jest.useRealTimers()
  }
})

test('my alarms: tapping a card opens its detail', async () => {
  const state = loggedIn({ 'GET /api/v1/alarms': { statusCode: 200, data: ALARMS } })
  const { page } = load('pages/alarms/index')
  await page.instance.refresh()
  page.instance.onOpen({ detail: { id: 3 } })
  expect(state.navigated.url).toBe('/pages/alarm/index?id=3')
  page.instance.onHide()
})

test('an empty list says so', async () => {
  loggedIn({ 'GET /api/v1/alarms': { statusCode: 200, data: [] } })
  const { page } = load('pages/alarms/index')
  await page.instance.refresh()
  expect(page.dom.innerHTML).toContain('没有未处理的报警')
})

function detailServer(extra = {}) {
  let alarm = { ...ALARMS[2], value: 31.5, unit: 'mA', timeline: [
    { at: '2026-12-02T00:30:00Z', kind: 'raised', user: null, data: {} }] }
  let grants = 0
  const seen = []
  return { seen, routes: {
    'GET /api/v1/alarms/3': () => ({ statusCode: 200, data: alarm }),
    'POST /api/v1/alarms/3/acknowledge': () => {
      seen.push('ack')
      alarm = { ...alarm, state: 'acknowledged', timeline: [...alarm.timeline,
        { at: '2026-12-02T00:35:00Z', kind: 'acknowledged', user: '值班一', data: {} }] }
      return { statusCode: 200, data: alarm }
    },
    'POST /api/v1/alarms/3/comments': (opts) => {
      seen.push(['comment', opts.data.text])
      alarm = { ...alarm, timeline: [...alarm.timeline,
        { at: '2026-12-02T00:36:00Z', kind: 'comment', user: '值班一', data: { text: opts.data.text } }] }
      return { statusCode: 201, data: {} }
    },
    'GET /api/v1/me/wechat': () => ({ statusCode: 200, data: { bound: true,
      subscribe_template_id: 'SUB-ALARM', grants_left: grants, official_account_linked: false } }),
    'POST /api/v1/me/subscribe-grants': (opts) => {
      seen.push(['grant', opts.data])
      if (opts.data.result === 'accept') grants += opts.data.count
      return { statusCode: 201, data: { template_id: 'SUB-ALARM', remaining: grants } }
    },
    ...extra,
  } }
}

test('alarm detail: acknowledge, then "remind me of the next one" with the grants left', async () => {
  const { seen, routes } = detailServer()
  loggedIn(routes)
  const { page } = load('pages/alarm/index')
  await page.instance.onLoad({ id: '3' })
  expect(page.querySelector('.message').dom.textContent).toBe('漏电报警')
  expect(page.dom.innerHTML).toContain('31.5 mA')
  expect(page.querySelector('#remind')).toBeFalsy()

  await page.instance.onAcknowledge()
  expect(seen).toEqual(['ack'])
  expect(page.querySelector('#ack')).toBeFalsy()                 // no longer active
  expect(page.querySelector('#remind')).toBeTruthy()
  expect(page.dom.innerHTML).toContain('订阅消息已用完')          // 0 left: said plainly

  await page.instance.onRemindMe()
  expect(wx.requestSubscribeMessage.mock.calls[0][0].tmplIds).toEqual(['SUB-ALARM'])
  expect(seen[1]).toEqual(['grant', { template_id: 'SUB-ALARM', result: 'accept', count: 1 }])
  expect(page.instance.data.grantsLeft).toBe(1)
  expect(page.dom.innerHTML).toContain('剩余可接收的订阅消息：1 条')
  expect(page.dom.innerHTML).not.toContain('订阅消息已用完')
})

test('alarm detail: a refused subscription is reported as reject', async () => {
  const { seen, routes } = detailServer()
  loggedIn(routes)
  wx.requestSubscribeMessage = jest.fn(({ fail }) => fail({ errMsg: 'requestSubscribeMessage:fail', errCode: 20004 }))
  const { page } = load('pages/alarm/index')
  await page.instance.onLoad({ id: '3' })
  await page.instance.onAcknowledge()
  await page.instance.onRemindMe()
  expect(seen[1]).toEqual(['grant', { template_id: 'SUB-ALARM', result: 'reject', count: 1 }])
  expect(page.instance.data.grantsLeft).toBe(0)
})

test('alarm detail: a comment goes on the timeline; a failing one keeps the text', async () => {
  const { seen, routes } = detailServer()
  const state = loggedIn(routes)
  const { page } = load('pages/alarm/index')
  await page.instance.onLoad({ id: '3' })
  page.instance.onComment({ detail: '已到现场' })
  await page.instance.onSendComment()
  expect(seen).toEqual([['comment', '已到现场']])
  expect(page.instance.data.comment).toBe('')
  expect(page.dom.innerHTML).toContain('备注 · 值班一 · 已到现场')

  state.server = () => ({ statusCode: 422, data: { error: 'validation_error' } })
  page.instance.onComment({ detail: '第二条' })
  await page.instance.onSendComment()
  expect(page.instance.data.comment).toBe('第二条')
  expect(state.toasts).toEqual(['输入有误'])
})
