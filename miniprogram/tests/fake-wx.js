// A mocked `wx` for the tests: storage in memory, navigation and toasts recorded, and
// wx.request answered by the test's `server(options)` (return {statusCode, data}, a
// Promise of one, or `null` for a request that never answers).
function installWx({ server = () => ({ statusCode: 404, data: { error: 'not_found' } }) } = {}) {
  const storage = {}
  const state = { server, requests: [], toasts: [], aborted: 0 }
  const record = (name) => jest.fn((opts) => { state[name] = opts; return undefined })
  global.wx = {
    request: jest.fn((opts) => {
      state.requests.push(opts)
      Promise.resolve().then(() => state.server(opts)).then((res) => {
        if (res === null) return
        if (res.fail) opts.fail({ errMsg: res.fail })
        else opts.success({ statusCode: res.statusCode, data: res.data, header: {} })
      })
      return { abort: jest.fn(() => { state.aborted += 1 }) }
    }),
    // wx.uploadFile answers text (the test's data, serialised); wx.downloadFile a temp path
    uploadFile: jest.fn((opts) => {
      state.requests.push({ ...opts, method: 'POST', upload: true })
      Promise.resolve().then(() => state.server({ ...opts, method: 'POST' })).then((res) => {
        if (res === null) return
        if (res.fail) opts.fail({ errMsg: res.fail })
        else opts.success({ statusCode: res.statusCode, data: JSON.stringify(res.data) })
      })
      return { abort: jest.fn() }
    }),
    downloadFile: jest.fn((opts) => {
      state.requests.push({ ...opts, method: 'GET', download: true })
      Promise.resolve().then(() => state.server({ ...opts, method: 'GET' })).then((res) => {
        if (res === null) return
        if (res.fail) opts.fail({ errMsg: res.fail })
        else opts.success({ statusCode: res.statusCode, tempFilePath: res.tempFilePath })
      })
      return { abort: jest.fn() }
    }),
    chooseMedia: jest.fn(({ success }) => success({ tempFiles: state.chosen || [] })),
    previewImage: record('previewed'),
    getStorageSync: jest.fn((key) => (key in storage ? storage[key] : '')),
    setStorageSync: jest.fn((key, value) => { storage[key] = value }),
    removeStorageSync: jest.fn((key) => { delete storage[key] }),
    showToast: jest.fn((opts) => state.toasts.push(opts.title)),
    reLaunch: record('reLaunched'),
    switchTab: record('switchedTab'),
    navigateTo: record('navigated'),
    setTabBarBadge: record('badge'),
    removeTabBarBadge: jest.fn(() => { state.badge = null }),
    stopPullDownRefresh: jest.fn(),
    login: jest.fn(({ success }) => success({ code: 'CODE_1', errMsg: 'login:ok' })),
    requestSubscribeMessage: jest.fn(({ tmplIds, success }) =>
      success(Object.fromEntries(tmplIds.map((id) => [id, 'accept'])))),
    showModal: jest.fn(({ success }) => success({ confirm: true, cancel: false })),
  }
  global.__wx = state
  return state
}

// Resolve once pending promises and wx.request callbacks have run.
const flush = async (times = 8) => {
  for (let i = 0; i < times; i++) await new Promise((r) => setTimeout(r, 0))
}

module.exports = { installWx, flush }
