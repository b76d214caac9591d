// 负载与照明: load controllers and KNX groups listed with their state, switched on / off /
// dim through the same command lifecycle as a breaker; what is offered is what the
// device's record says it accepts (``actions``).
const { installWx, flush } = require('./fake-wx')
const { load } = require('./pages')
const topo = require('../utils/topology')

const BASE = 'http://127.0.0.1:8000'
const cell = (v) => ({ v, t: '2026-12-02T08:00:00Z' })
const PUMP = { id: 601, code: 'LC-PUMP', name: '排水泵', kind: 'load', profile: 'gw-load', enabled: true, actions: ['dim', 'off', 'on'] }
const KNX = { id: 701, code: 'KNX-L1', name: '走廊照明组', kind: 'knx_group', enabled: true, actions: ['on', 'off'] }
const DARK = { id: 702, code: 'KNX-L9', name: '未配置组', kind: 'knx_group', enabled: true, actions: [] }
const LATEST = [
  { device_id: 601, online: true, values: { switch_state: cell('closed'), dim_level: cell(60) } },
  { device_id: 701, online: true, values: { light: cell('off') } },
  { device_id: 702, online: false, values: {} },
]
const TOPOLOGY = { site: { id: 1, name: '甲所' }, areas: [], boards: [] }

function serve(routes) {
  return (opts) => {
    const [path, qs] = opts.url.replace(BASE, '').split('?')
    const key = `${opts.method} ${path}`
    const route = routes[key]
    if (route) return typeof route === 'function' ? route(opts, Object.fromEntries(new URLSearchParams(qs || ''))) : route
    return { statusCode: 404, data: { error: 'not_found' } }
  }
}

function loggedIn(routes) {
  const state = installWx({ server: serve({
    'GET /api/v1/sites/1/topology': { statusCode: 200, data: TOPOLOGY },
    'GET /api/v1/sites/1/latest': { statusCode: 200, data: LATEST },
    'GET /api/v1/devices': (opts, q) => {
      expect(q.site_id).toBe('1')
      return { statusCode: 200, data: q.kind === 'load' ? [PUMP] : q.kind === 'knx_group' ? [KNX, DARK] : [] }
    },
    'GET /api/v1/devices/601': { statusCode: 200, data: PUMP },
    'GET /api/v1/devices/701': { statusCode: 200, data: KNX },
    'GET /api/v1/devices/702': { statusCode: 200, data: DARK },
    'GET /api/v1/devices/601/latest': { statusCode: 200, data: { ...LATEST[0], code: PUMP.code, name: PUMP.name } },
    'GET /api/v1/devices/701/latest': { statusCode: 200, data: { ...LATEST[1], code: KNX.code, name: KNX.name } },
    'GET /api/v1/devices/702/latest': { statusCode: 200, data: { ...LATEST[2], code: DARK.code, name: DARK.name } },
    ...routes,
  }) })
  wx.setStorageSync('gw.session', { access_token: 'A1', refresh_token: 'R1', user: { id: 7 } })
  return state
}

test('loadState / loadLevel / loadActions', () => {
  expect(topo.loadState({ online: true, values: { switch_state: cell('closed') } })).toBe('on')
  expect(topo.loadState({ online: true, values: { switch_state: cell('open') } })).toBe('off')
  expect(topo.loadState({ online: true, values: { light: cell('on') } })).toBe('on')
  expect(topo.loadState({ online: false, values: { light: cell('on') } })).toBe('offline')
  expect(topo.loadState({ online: true, values: {} })).toBe('unknown')
  expect(topo.loadState(null)).toBe('unknown')
  expect(topo.loadLevel({ values: { dim_level: cell(59.6) } })).toBe(60)
  expect(topo.loadLevel({ values: { brightness: cell(30) } })).toBe(30)
  expect(topo.loadLevel({ values: {} })).toBe(null)
  expect(topo.loadActions(['dim', 'off', 'on'], 'on')).toEqual(['off', 'on', 'dim'])
  expect(topo.loadActions(['on', 'off'], 'off')).toEqual(['on', 'off'])
  expect(topo.loadActions([], 'off')).toEqual([])
  expect(topo.loadActions(undefined, 'on')).toEqual([])
})

test('负载与照明: loads and KNX groups with their state and level; one without actions is not tappable', async () => {
  const state = loggedIn({})
  const { page } = load('pages/loads/index')
  await page.instance.onLoad({ site: '1' })
  const rows = page.instance.data.rows
  expect(rows.map((r) => [r.code, r.stateText, r.level, r.switchable])).toEqual([
    ['LC-PUMP', '开', '60%', true], ['KNX-L1', '关', '', true], ['KNX-L9', '离线', '', false]])
  expect(page.querySelectorAll('.load').map((x) => x.dom.textContent)).toEqual([
    expect.stringContaining('负载控制器'), expect.stringContaining('KNX 照明组'), expect.stringContaining('未配置组')])
  page.instance.onDevice({ currentTarget: { dataset: { id: 702 } } })
  expect(state.navigated).toBeUndefined()
  page.instance.onDevice({ currentTarget: { dataset: { id: 601 } } })
  expect(state.navigated.url).toBe('/pages/switch/index?site=1&device=601')
})

function commands(deviceId, states) {
  const seen = []
  let n = 0
  let last = null
  return { seen, routes: {
    [`POST /api/v1/devices/${deviceId}/commands`]: (opts) => {
      seen.push({ body: opts.data, key: opts.header['Idempotency-Key'] })
      last = opts.data
      return { statusCode: 202, data: { id: 88, device_id: deviceId, ...opts.data, state: states[0] } }
    },
    'GET /api/v1/commands/88': () => {
      n = Math.min(n + 1, states.length - 1)
      return { statusCode: 200, data: { id: 88, action: last.action, value: last.value === undefined ? null : last.value,
        state: states[n], sent_at: n >= 1 ? 'x' : null,
        message_zh: states[n] === 'failed' ? 'KNX 网关未确认' : null } }
    },
  } }
}

test('a load: off offered first when on, dim with a level, the command followed to 已确认', async () => {
  jest.useFakeTimers()
  try {
    const { seen, routes } = commands(601, ['queued', 'sent', 'confirmed'])
    loggedIn(routes)
    const { page } = load('pages/switch/index')
    await page.instance.onLoad({ site: '1', device: '601' })
    expect(page.instance.data.actions.map((a) => a.text)).toEqual(['关闭', '开启', '调光'])
    expect(page.querySelector('#device-state').dom.textContent).toContain('开')
    expect(page.querySelector('#mode')).toBeFalsy()
    expect(page.querySelector('#feeds')).toBeFalsy()
    expect(page.querySelector('#level-now').dom.textContent).toContain('60%')
    expect(page.querySelector('#dim')).toBeFalsy()

    page.instance.onAction({ currentTarget: { dataset: { action: 'dim' } } })
    expect(page.querySelector('#level').dom.textContent).toBe('60%')
    page.instance.onLevel({ detail: 35 })
    expect(page.querySelector('#level').dom.textContent).toBe('35%')
    page.instance.onReason({ detail: '夜间降低亮度' })
    const done = page.instance.onSubmit()
    await jest.advanceTimersByTimeAsync(0)
    expect(wx.showModal.mock.calls[0][0].content).toContain('排水泵 调光至 35%')
    await jest.advanceTimersByTimeAsync(3000)
    await done
    expect(seen.map((s) => s.body)).toEqual([{ action: 'dim', value: 35, reason: '夜间降低亮度' }])
    expect(page.querySelectorAll('.step').map((s) => [s.dom.dataset ? s.dom.getAttribute('data-state') : '', s.dom.className])).toEqual([
      ['queued', expect.stringContaining('done')], ['sent', expect.stringContaining('done')], ['confirmed', expect.stringContaining('done')]])
    expect(page.querySelector('#outcome').dom.textContent).toBe('调光至 35% 成功，设备已确认')
  } finally {
    jest.useRealTimers()
  }
})

test('a KNX group without a brightness address: on / off only; a failure shown in Chinese', async () => {
  jest.useFakeTimers()
  try {
    const { seen, routes } = commands(701, ['queued', 'sent', 'failed'])
    loggedIn(routes)
    const { page } = load('pages/switch/index')
    await page.instance.onLoad({ site: '1', device: '701' })
    expect(page.instance.data.actions.map((a) => a.action)).toEqual(['on', 'off'])
    expect(page.querySelector('#level-now')).toBeFalsy()
    page.instance.onReason({ detail: '巡检照明' })
    const done = page.instance.onSubmit()
    await jest.advanceTimersByTimeAsync(3000)
    await done
    expect(seen.map((s) => s.body)).toEqual([{ action: 'on', reason: '巡检照明' }])
    expect(page.querySelector('#outcome').dom.textContent).toBe('KNX 网关未确认')
  } finally {
    jest.useRealTimers()
  }
})

test('a device that accepts nothing offers nothing', async () => {
  loggedIn({})
  const { page } = load('pages/switch/index')
  await page.instance.onLoad({ site: '1', device: '702' })
  await flush()
  expect(page.instance.data.actions).toEqual([])
  expect(page.querySelector('#no-actions').dom.textContent).toBe('该设备不接受远程操作')
  expect(page.querySelector('#send')).toBeFalsy()
})

test('a load in English: the actions, the confirmation and the outcome', async () => {
  jest.useFakeTimers()
  try {
    const { routes } = commands(601, ['queued', 'sent', 'confirmed'])
    loggedIn(routes)
    wx.setStorageSync('gw.lang', 'en')
    const { page } = load('pages/switch/index')
    await page.instance.onLoad({ site: '1', device: '601' })
    expect(page.instance.data.actions.map((a) => a.text)).toEqual(['Switch off', 'Switch on', 'Dim'])
    expect(page.querySelector('#device-state').dom.textContent).toContain('On')
    await page.instance.onSubmit()
    expect(page.querySelector('#error').dom.textContent).toBe('Please give a reason')
    page.instance.onAction({ currentTarget: { dataset: { action: 'dim' } } })
    page.instance.onLevel({ detail: 20 })
    page.instance.onReason({ detail: 'night' })
    const done = page.instance.onSubmit()
    await jest.advanceTimersByTimeAsync(0)
    expect(wx.showModal.mock.calls[0][0]).toMatchObject({ title: 'Dim?', content: '排水泵: Dim to 20%' })
    await jest.advanceTimersByTimeAsync(3000)
    await done
    expect(page.querySelector('#outcome').dom.textContent).toBe('Dim to 20%: done, confirmed by the device')
  } finally {
    jest.useRealTimers()
  }
})
