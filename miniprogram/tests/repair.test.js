// Repair orders: opened from the alarm detail (taken by me), worked on their page (take,
// move on, a note), photos chosen with wx.chooseMedia, sent with wx.uploadFile and shown
// after wx.downloadFile (with the token).
const { installWx } = require('./fake-wx')
const { load } = require('./pages')

const BASE = 'http://127.0.0.1:8000'
const ME = 7

function serve(routes) {
  return (opts) => {
    const key = `${opts.method} ${opts.url.replace(BASE, '').split('?')[0]}`
    const route = routes[key]
    if (!route) return { statusCode: 404, data: { error: 'not_found' } }
    return typeof route === 'function' ? route(opts) : route
  }
}

function loggedIn(routes) {
  const state = installWx({ server: serve(routes) })
  wx.setStorageSync('gw.session', { access_token: 'A1', refresh_token: 'R1',
    user: { id: ME, username: 'duty1' } })
  return state
}

function world() {
  const seen = []
  let order = { id: 41, alarm_id: 3, site_id: 1, title: '漏电报警', status: 'open', note: '',
    assignee_id: null, created_at: '2026-12-02T00:40:00Z' }
  const photos = []
  const routes = {
    'GET /api/v1/alarms/3': { statusCode: 200, data: { id: 3, level: 'alarm', state: 'acknowledged',
      message: '漏电报警', raised_at: '2026-12-02T00:30:00Z', timeline: [] } },
    'GET /api/v1/repair-orders': (opts) => {
      expect(opts.url).toContain('alarm_id=3')
      return { statusCode: 200, data: seen.includes('create') ? [order] : [] }
    },
    'POST /api/v1/repair-orders': (opts) => {
      seen.push('create')
      expect(opts.data).toEqual({ alarm_id: 3, note: '', assignee_id: ME })
      order = { ...order, assignee_id: ME }
      return { statusCode: 201, data: order }
    },
    'GET /api/v1/repair-orders/41': () => ({ statusCode: 200, data: order }),
    'PATCH /api/v1/repair-orders/41': (opts) => {
      seen.push(['patch', opts.data])
      if (order.status === 'done') return { statusCode: 409, data: { error: 'repair_order_done' } }
      order = { ...order, ...opts.data }
      return { statusCode: 200, data: order }
    },
    'GET /api/v1/repair-orders/41/photos': () => ({ statusCode: 200, data: photos }),
    'POST /api/v1/repair-orders/41/photos': (opts) => {
      seen.push(['upload', opts.filePath, opts.name, opts.header.Authorization])
      if (opts.filePath.endsWith('.gif')) {
        return { statusCode: 422, data: { error: 'photo_type_not_allowed' } }
      }
      const p = { id: 90 + photos.length, order_id: 41, filename: 'p.jpg' }
      photos.push(p)
      return { statusCode: 201, data: p }
    },
    'GET /api/v1/repair-orders/41/photos/90': (opts) => {
      seen.push(['download', opts.header.Authorization])
      return { statusCode: 200, tempFilePath: 'wxfile://tmp/photo-90.jpg' }
    },
  }
  return { seen, routes }
}

test('alarm detail: open a repair order taken by me, then its page', async () => {
  const { seen, routes } = world()
  const state = loggedIn(routes)
  const { page } = load('pages/alarm/index')
  await page.instance.onLoad({ id: '3' })
  expect(page.dom.innerHTML).toContain('暂无工单')
  await page.instance.onOpenOrder()
  expect(seen).toEqual(['create'])
  expect(state.navigated.url).toBe('/pages/repair/index?id=41')
  expect(page.querySelectorAll('.order')).toHaveLength(1)
  expect(page.dom.innerHTML).toContain('#41 漏电报警')
})

test('repair order: move it on, a note, a photo uploaded and shown; done is final', async () => {
  const { seen, routes } = world()
  const state = loggedIn(routes)
  const { page } = load('pages/repair/index')
  await page.instance.onLoad({ id: '41' })
  expect(page.querySelector('#status').dom.textContent.trim()).toBe('待处理')
  expect(page.querySelector('#take')).toBeTruthy()               // nobody has it yet
  await page.instance.onTake()
  expect(seen[0]).toEqual(['patch', { assignee_id: ME }])
  expect(page.querySelector('#take')).toBeFalsy()
  expect(page.dom.innerHTML).toContain('开始处理')

  await page.instance.onMove({ currentTarget: { dataset: { status: 'in_progress' } } })
  expect(page.querySelector('#status').dom.textContent.trim()).toBe('处理中')
  page.instance.onNote({ detail: '更换漏电开关' })
  await page.instance.onSaveNote()
  expect(seen[2]).toEqual(['patch', { note: '更换漏电开关' }])

  state.chosen = [{ tempFilePath: 'wxfile://tmp/a.jpg', size: 120000 },
    { tempFilePath: 'wxfile://tmp/big.jpg', size: 6 * 1024 * 1024 },
    { tempFilePath: 'wxfile://tmp/c.gif', size: 1000 }]
  await page.instance.onAddPhoto()
  expect(wx.chooseMedia.mock.calls[0][0]).toMatchObject({ mediaType: ['image'] })
  // the big one never leaves the phone; the gif is refused by the server, in Chinese
  expect(seen.filter((s) => s[0] === 'upload')).toEqual([
    ['upload', 'wxfile://tmp/a.jpg', 'file', 'Bearer A1'],
    ['upload', 'wxfile://tmp/c.gif', 'file', 'Bearer A1']])
  expect(state.toasts).toEqual(['照片过大：每张最多 5 MB', '只能上传 JPEG、PNG 或 WebP 图片', '已上传 1 张照片'])
  expect(seen).toContainEqual(['download', 'Bearer A1'])
  expect(page.instance.data.photos).toEqual([{ id: 90, src: 'wxfile://tmp/photo-90.jpg', filename: 'p.jpg' }])
  expect(page.dom.innerHTML).toContain('现场照片（1）')
  expect(page.dom.innerHTML).toContain('wxfile://tmp/photo-90.jpg')
  page.instance.onPreview({ currentTarget: { dataset: { src: 'wxfile://tmp/photo-90.jpg' } } })
  expect(state.previewed.urls).toEqual(['wxfile://tmp/photo-90.jpg'])

  await page.instance.onMove({ currentTarget: { dataset: { status: 'done' } } })
  expect(page.querySelector('#status').dom.textContent.trim()).toBe('已完成')
  expect(page.querySelector('#save-note')).toBeFalsy()
  expect(page.querySelectorAll('.move')).toHaveLength(0)
  expect(page.querySelector('#add-photo')).toBeTruthy()          // photos may still come
})

test('alarm detail: 由我处理 takes the alarm (assigned to me)', async () => {
  const { routes } = world()
  let alarm = { id: 3, level: 'alarm', state: 'acknowledged', message: '漏电报警',
    raised_at: '2026-12-02T00:30:00Z', assignee_id: null, timeline: [] }
  const taken = []
  loggedIn({ ...routes,
    'GET /api/v1/alarms/3': () => ({ statusCode: 200, data: alarm }),
    'POST /api/v1/alarms/3/take': () => {
      taken.push(3)
      alarm = { ...alarm, assignee_id: ME }
      return { statusCode: 200, data: alarm }
    } })
  const { page } = load('pages/alarm/index')
  await page.instance.onLoad({ id: '3' })
  expect(page.querySelector('#assignee').dom.textContent).toContain('未指派')
  await page.instance.onTake()
  expect(taken).toEqual([3])
  expect(page.querySelector('#take')).toBeFalsy()
  expect(page.querySelector('#assignee').dom.textContent).toContain('我')
})
