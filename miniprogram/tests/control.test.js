// 配电: areas -> boards -> circuits with live values; switching one breaker through the
// command lifecycle with the confirmation (what it feeds, mode, protection) and the
// refusal reasons in Chinese; 待我审批: approve, reject with a reason.
const { installWx, flush } = require('./fake-wx')
const { load } = require('./pages')

const BASE = 'http://127.0.0.1:8000'
const dev = (id, code, kind = 'breaker') => ({ id, code, name: `断路器${code}`, kind })
// area A1 (sub-area A2); board AA1 in A1 -> C1 (QF1) -> C2 (QF2) feeding board AL1 (in
// A2) -> C3 (QF3, protected); board X1 without an area, C9 with a meter only.
const TOPOLOGY = {
  site: { id: 1, name: '甲所' },
  areas: [{ id: 10, code: 'A1', name: '一号楼', kind: 'building', children: [
    { id: 11, code: 'A2', name: '二层', kind: 'floor', children: [] }] }],
  boards: [
    { id: 100, code: 'AA1', name: '总配电柜', level: 1, area_id: 10, circuits: [
      { id: 1, code: 'C1', name: '进线', protected: false, devices: [dev(501, 'QF1')], boards: [], circuits: [
        { id: 2, code: 'C2', name: '照明干线', protected: false, devices: [dev(502, 'QF2')], circuits: [], boards: [
          { id: 101, code: 'AL1', name: '照明箱', level: 2, area_id: 11, circuits: [
            { id: 3, code: 'C3', name: '走廊照明', protected: true, devices: [dev(503, 'QF3')], circuits: [], boards: [] }] }] }] }] },
    { id: 102, code: 'X1', name: '临时箱', level: 2, area_id: null, circuits: [
      { id: 9, code: 'C9', name: '计量', protected: false, devices: [dev(509, 'PM9', 'meter')], circuits: [], boards: [] }] },
  ],
}
const cell = (v) => ({ v, t: '2026-12-02T08:00:00Z' })
const LATEST = [
  { device_id: 501, online: true, values: { switch_state: cell('closed'), current_a: cell(40.2), current_b: cell(41), active_power: cell(27.5), mode: cell('auto') } },
  { device_id: 502, online: true, values: { switch_state: cell('closed'), current_a: cell(12), mode: cell('auto') } },
  { device_id: 503, online: true, values: { switch_state: cell('open'), trip_cause: cell('overload'), mode: cell('auto') } },
  { device_id: 509, online: false, values: {} },
]

function serve(routes) {
  return (opts) => {
    const key = `${opts.method} ${opts.url.replace(BASE, '').split('?')[0]}`
    const route = routes[key]
    if (!route) return { statusCode: 404, data: { error: 'not_found' } }
    return typeof route === 'function' ? route(opts) : route
  }
}

function loggedIn(routes) {
  const state = installWx({ server: serve({
    'GET /api/v1/sites': { statusCode: 200, data: [{ id: 1, name: '甲所' }] },
    'GET /api/v1/sites/1/topology': { statusCode: 200, data: TOPOLOGY },
    'GET /api/v1/sites/1/latest': { statusCode: 200, data: LATEST },
    'GET /api/v1/commands': { statusCode: 200, data: [] },
    ...routes,
  }) })
  wx.setStorageSync('gw.session', { access_token: 'A1', refresh_token: 'R1', user: { id: 7, username: 'duty1' } })
  return state
}

test('配电: areas, the boards of an area (its sub-areas too), a board opens', async () => {
  const state = loggedIn({ 'GET /api/v1/commands': (opts) => {
    expect(opts.url).toContain('awaiting_my_approval=true')
    return { statusCode: 200, data: [{ id: 5 }, { id: 6 }] }
  } })
  const { page } = load('pages/circuits/index')
  await page.instance.onLoad()
  await page.instance.onShow()
  const areas = page.querySelectorAll('.area').map((a) => a.dom.textContent.replace(/\s+/g, ' ').trim())
  expect(areas).toEqual(['一号楼 2', '二层 1', '未分区 1'])
  expect(page.querySelectorAll('.board').map((b) => b.dom.textContent)).toEqual(
    [expect.stringContaining('总配电柜'), expect.stringContaining('照明箱')])
  expect(page.dom.innerHTML).toContain('AA1 · 2 条回路')
  page.instance.onArea({ currentTarget: { dataset: { id: 0 } } })
  expect(page.querySelectorAll('.board')).toHaveLength(1)
  expect(page.dom.innerHTML).toContain('临时箱')
  expect(page.querySelector('#approvals').dom.textContent).toContain('2')
  page.instance.onBoard({ currentTarget: { dataset: { id: 102 } } })
  expect(state.navigated.url).toBe('/pages/board/index?site=1&id=102')
})

test('a board: its circuits indented with live values and state, polled while shown', async () => {
  jest.useFakeTimers()
  try {
    let reads = 0
    const state = loggedIn({ 'GET /api/v1/sites/1/latest': () => {
      reads += 1
      return { statusCode: 200, data: reads === 1 ? LATEST : [{ ...LATEST[0], values: { switch_state: cell('open') } }, ...LATEST.slice(1)] }
    } })
    const { page } = load('pages/board/index')
    await page.instance.onLoad({ site: '1', id: '100' })
    const rows = page.instance.data.rows
    expect(rows.map((r) => [r.code, r.depth, r.stateText])).toEqual([['C1', 0, '合闸'], ['C2', 1, '合闸']])
    expect(rows[0].values).toBe('41.0 A · 27.5 kW')
    expect(page.dom.innerHTML).toContain('照明箱')                  // the board it feeds
    page.instance.onShow()
    await jest.advanceTimersByTimeAsync(10000)
    expect(reads).toBe(2)
    expect(page.instance.data.rows[0].stateText).toBe('分闸')
    page.instance.onHide()
    await jest.advanceTimersByTimeAsync(30000)
    expect(reads).toBe(2)
    page.instance.onCircuit({ currentTarget: { dataset: { device: 502 } } })
    expect(state.navigated.url).toBe('/pages/switch/index?site=1&device=502')
  } finally {
    jest.useRealTimers()
  }
})

function switchServer({ deviceId = 502, entry = LATEST[1], answer, states = ['queued', 'sent', 'confirmed'] }) {
  const seen = []
  let n = 0
  const routes = {
    [`GET /api/v1/devices/${deviceId}/latest`]: { statusCode: 200, data: entry },
    [`POST /api/v1/devices/${deviceId}/commands`]: (opts) => {
      seen.push({ body: opts.data, key: opts.header['Idempotency-Key'] })
      return answer ? answer(opts) : { statusCode: 202, data: { id: 77, device_id: deviceId, action: opts.data.action, state: states[0] } }
    },
    'GET /api/v1/commands/77': () => {
      n = Math.min(n + 1, states.length - 1)
      return { statusCode: 200, data: { id: 77, action: 'open', state: states[n], sent_at: n >= 1 ? 'x' : null,
        message_zh: states[n] === 'refused' ? '断路器处于手动模式，拒绝远程操作' : null } }
    },
  }
  return { seen, routes }
}

test('switching: the confirmation, a reason required, then the command followed to 已确认', async () => {
  jest.useFakeTimers()
  try {
    const { seen, routes } = switchServer({})
    loggedIn(routes)
    const { page } = load('pages/switch/index')
    await page.instance.onLoad({ site: '1', device: '502' })
    expect(page.instance.data.circuit.name).toBe('照明干线')
    expect(page.querySelector('#mode').dom.textContent).toContain('自动')
    expect(page.querySelector('#mode-blocks')).toBeFalsy()
    expect(page.querySelector('#needs-approval')).toBeFalsy()
    expect(page.querySelector('#feeds').dom.textContent).toContain('分闸后将失电的下游回路（1）')
    expect(page.querySelector('#feeds').dom.textContent).toContain('走廊照明')
    expect(page.instance.data.actions.map((a) => a.action)).toEqual(['open', 'close'])

    await page.instance.onSubmit()
    expect(page.querySelector('#error').dom.textContent).toBe('请填写操作原因')
    expect(seen).toEqual([])

    page.instance.onReason({ detail: '更换灯具' })
    const done = page.instance.onSubmit()
    await jest.advanceTimersByTimeAsync(0)
    expect(wx.showModal.mock.calls[0][0].content).toContain('下游 1 条回路将失电')
    await jest.advanceTimersByTimeAsync(3000)
    await done
    expect(seen).toHaveLength(1)
    expect(seen[0].body).toEqual({ action: 'open', reason: '更换灯具' })
    expect(seen[0].key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(page.instance.data.command.state).toBe('confirmed')
    expect(page.querySelectorAll('.step').map((s) => s.dom.textContent)).toEqual(['排队中', '已下发', '已确认'])
    expect(page.querySelector('#outcome').dom.textContent).toBe('分闸成功，设备已确认')
  } finally {
    jest.useRealTimers()
  }
})

test('switching: refused at once (no grant), in Chinese', async () => {
  const refused = switchServer({ answer: () => ({ statusCode: 403, data: { error: 'control_not_granted',
    message: 'you have no control right for this circuit', message_zh: '您没有该回路的控制权限' } }) })
  loggedIn(refused.routes)
  const { page } = load('pages/switch/index')
  await page.instance.onLoad({ site: '1', device: '502' })
  page.instance.onReason({ detail: '检修' })
  await page.instance.onSubmit()
  expect(page.querySelector('#error').dom.textContent).toBe('您没有该回路的控制权限')
  expect(page.instance.data.errorCode).toBe('control_not_granted')
  expect(__wx.toasts).toEqual([])                               // shown on the page, not twice
})

test('switching: refused at execution (manual mode), in Chinese', async () => {
  jest.useFakeTimers()
  try {
    const manual = switchServer({ entry: { ...LATEST[1], values: { ...LATEST[1].values, mode: cell('manual') } },
      states: ['queued', 'refused'] })
    loggedIn(manual.routes)
    const { page } = load('pages/switch/index')
    await page.instance.onLoad({ site: '1', device: '502' })
    expect(page.querySelector('#mode-blocks').dom.textContent).toBe('断路器处于手动模式，设备会拒绝远程操作')
    page.instance.onReason({ detail: '检修' })
    const done = page.instance.onSubmit()
    await jest.advanceTimersByTimeAsync(2000)
    await done
    expect(page.instance.data.command.state).toBe('refused')
    expect(page.querySelectorAll('.step').map((s) => s.dom.textContent)).toEqual(['排队中', '已下发', '被拒绝'])
    expect(page.querySelector('#outcome').dom.textContent).toBe('断路器处于手动模式，拒绝远程操作')
  } finally {
    jest.useRealTimers()
  }
})

test('switching a protected circuit says it waits for approval; a lost answer reuses the key', async () => {
  let tries = 0
  const { seen, routes } = switchServer({ deviceId: 503, entry: LATEST[2], answer: () => {
    tries += 1
    return tries === 1 ? { fail: 'request:fail network' }
      : { statusCode: 202, data: { id: 77, action: 'reset', state: 'awaiting_approval' } }
  }, states: ['awaiting_approval', 'awaiting_approval'] })
  loggedIn(routes)
  const { page } = load('pages/switch/index')
  await page.instance.onLoad({ site: '1', device: '503' })
  expect(page.querySelector('#needs-approval')).toBeTruthy()
  expect(page.instance.data.actions.map((a) => a.action)).toEqual(['reset', 'close', 'open'])  // tripped
  expect(page.querySelector('#feeds').dom.textContent).toContain('无下游回路')
  page.instance.onReason({ detail: '复位' })
  await page.instance.onSubmit()
  expect(page.querySelector('#error').dom.textContent).toBe('网络不可用')
  const submitting = page.instance.onSubmit()
  await flush(20)
  expect(seen.map((s) => s.key)).toEqual([seen[0].key, seen[0].key])   // the same intent
  expect(page.querySelector('#outcome').dom.textContent).toBe('等待另一位有权限的人员审批')
  expect(page.querySelectorAll('.step')[0].dom.textContent).toBe('待审批')
  page.instance.onUnload()
  await submitting
})

test('switching a site box\'s device from the centre: delivered to the box, its state shown', async () => {
  // At the centre the command for a site box's device waits for the box (delivery
  // pending), then runs there (delivered), its states the box's (docs/sitelink.md).
  jest.useFakeTimers()
  try {
    const box = [
      { state: 'requested', delivery: 'pending' },
      { state: 'requested', delivery: 'delivered' },      // taken: the box's command made
      { state: 'awaiting_approval', delivery: 'delivered', approval_expires_at: 'x' },
      { state: 'queued', delivery: 'delivered', approved_by: 9 },
      { state: 'confirmed', delivery: 'delivered', approved_by: 9, sent_at: 'x' },
    ]
    let n = -1
    const { routes } = switchServer({ answer: () => ({ statusCode: 202,
      data: { id: 77, device_id: 502, action: 'open', ...box[0] } }) })
    routes['GET /api/v1/commands/77'] = () => {
      n = Math.min(n + 1, box.length - 1)
      return { statusCode: 200, data: { id: 77, device_id: 502, action: 'open', ...box[n] } }
    }
    loggedIn(routes)
    const { page } = load('pages/switch/index')
    await page.instance.onLoad({ site: '1', device: '502' })
    page.instance.onReason({ detail: '检修' })
    const done = page.instance.onSubmit()
    await jest.advanceTimersByTimeAsync(0)
    const note = () => page.querySelector('#delivery')
    expect(note().dom.textContent).toBe('等待站点设备接收：由站点按其权限、审批和执行流程处理')
    expect(note().dom.getAttribute('data-delivery')).toBe('pending')
    await jest.advanceTimersByTimeAsync(1000)            // the box took it, still requested
    expect(note().dom.textContent).toBe('已由站点设备接收执行，状态来自站点')
    expect(note().dom.getAttribute('data-delivery')).toBe('delivered')
    await jest.advanceTimersByTimeAsync(1000)            // a second person at the box
    expect(page.querySelector('#outcome').dom.textContent).toBe('等待站点设备上另一位有权限的人员审批')
    await jest.advanceTimersByTimeAsync(3000)
    await done
    expect(page.instance.data.command.state).toBe('confirmed')
    expect(note().dom.textContent).toBe('已由站点设备接收执行，状态来自站点')
    expect(page.querySelector('#outcome').dom.textContent).toBe('分闸成功，设备已确认')
  } finally {
    jest.useRealTimers()
  }
})

test('a command of the centre\'s own has no delivery note', async () => {
  const { routes } = switchServer({ answer: () => ({ statusCode: 202,
    data: { id: 77, device_id: 502, action: 'open', state: 'refused', delivery: null } }) })
  loggedIn(routes)
  const { page } = load('pages/switch/index')
  await page.instance.onLoad({ site: '1', device: '502' })
  page.instance.onReason({ detail: '检修' })
  await page.instance.onSubmit()
  await flush(20)
  expect(page.instance.data.command).toBeTruthy()
  expect(page.querySelector('#delivery')).toBeFalsy()
})

test('待我审批: the list, approve with a comment, reject needs a reason', async () => {
  const seen = []
  let waiting = [
    { id: 31, site_id: 1, device_id: 503, action: 'close', requested_by_name: 'm2', requested_at: '2026-12-02T00:00:00Z',
      approval_expires_at: '2026-12-02T00:05:00Z', state: 'awaiting_approval' },
    { id: 32, site_id: 1, device_id: 503, action: 'open', requested_by_name: 'm2', requested_at: '2026-12-02T00:01:00Z',
      state: 'awaiting_approval' }]
  const state = loggedIn({
    'GET /api/v1/commands': () => ({ statusCode: 200, data: waiting }),
    'POST /api/v1/commands/31/approve': (opts) => { seen.push(['approve', opts.data]); waiting = waiting.slice(1); return { statusCode: 200, data: {} } },
    'POST /api/v1/commands/32/reject': (opts) => { seen.push(['reject', opts.data]); return { statusCode: 409, data: { error: 'not_awaiting_approval' } } },
  })
  const { page } = load('pages/approvals/index')
  await page.instance.onLoad()
  expect(page.querySelectorAll('.row')).toHaveLength(2)
  expect(page.dom.innerHTML).toContain('合闸 · 走廊照明 QF3')
  expect(page.dom.innerHTML).toContain('申请人 m2 · 12-02 08:00')
  expect(page.dom.innerHTML).toContain('审批截止 12-02 08:05')

  wx.showModal = jest.fn(({ success }) => success({ confirm: true, content: ' 同意 ' }))
  await page.instance.onApprove({ currentTarget: { dataset: { id: 31 } } })
  expect(seen).toEqual([['approve', { comment: '同意' }]])
  expect(page.querySelectorAll('.row')).toHaveLength(1)

  wx.showModal = jest.fn(({ success }) => success({ confirm: true, content: '' }))
  await page.instance.onReject({ currentTarget: { dataset: { id: 32 } } })
  expect(seen).toHaveLength(1)                                   // not sent without a reason
  expect(state.toasts).toContain('请填写驳回原因')
  wx.showModal = jest.fn(({ success }) => success({ confirm: true, content: '负载未转移' }))
  await page.instance.onReject({ currentTarget: { dataset: { id: 32 } } })
  expect(seen[1]).toEqual(['reject', { comment: '负载未转移' }])
  expect(state.toasts).toContain('该命令不在待审批状态')          // the server's refusal, in Chinese
})
