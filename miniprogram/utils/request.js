// The one request wrapper of the mini-program:
// - attaches the access token;
// - on a 401 refreshes it once (POST /auth/refresh with the refresh token) and repeats
//   the request once; concurrent requests share that one refresh, and a request whose
//   401 comes back after another request already refreshed simply repeats with the new
//   token. A failed refresh ends the session (back to the login page);
// - fails after config.timeoutMs (ApiError code "timeout"), aborting the request;
// - rejects with an ApiError whose ``text`` is the Chinese message of the API's error
//   code (the PWA's texts), shown as a toast unless ``silent``;
// - the same for files: ``upload`` (wx.uploadFile, multipart) and ``download``
//   (wx.downloadFile: an <image> cannot send the token, so photos are fetched to a
//   temporary file first).
const config = require('../config')
const session = require('./session')
const { ApiError } = require('./errors')

const LOGIN_PAGE = '/pages/login/index'
let refreshing = null

// One transport call: wx.request (JSON), wx.uploadFile (multipart, the answer is text) or
// wx.downloadFile (the answer is a temporary file).
function send({ method, path, data, token, timeout, headers, file }) {
  return new Promise((resolve, reject) => {
    let done = false
    const finish = (fn, value) => { if (!done) { done = true; clearTimeout(timer); fn(value) } }
    const header = { ...(file ? {} : { 'Content-Type': 'application/json' }), ...(headers || {}) }
    if (token) header.Authorization = `Bearer ${token}`
    const url = config.apiBaseUrl + path
    const success = (res) => {
      if (file && file.upload && typeof res.data === 'string') {
        try { res = { ...res, data: res.data ? JSON.parse(res.data) : '' } } catch (e) { /* text */ }
      }
      finish(resolve, res)
    }
    const fail = (err) => {
      const timedOut = /timeout/i.test((err && err.errMsg) || '')
      finish(reject, new ApiError(0, timedOut ? 'timeout' : 'network', err && err.errMsg))
    }
    let task
    if (file && file.upload) {
      task = wx.uploadFile({ url, filePath: file.upload, name: file.name || 'file',
        formData: data, header, timeout, success, fail })
    } else if (file && file.download) {
      task = wx.downloadFile({ url, header, timeout, success, fail })
    } else {
      task = wx.request({ url, method, data, header, timeout, success, fail })
    }
    // Our own guard too: some base libraries ignore ``timeout`` on a stalled connection.
    const timer = setTimeout(() => {
      if (task && task.abort) task.abort()
      finish(reject, new ApiError(0, 'timeout', `no answer within ${timeout} ms`))
    }, timeout)
  })
}

function refreshOnce() {
  if (!refreshing) {
    const current = session.get()
    refreshing = (async () => {
      if (!current || !current.refresh_token) throw new ApiError(401, 'unauthorized')
      const res = await send({ method: 'POST', path: '/api/v1/auth/refresh',
        token: current.refresh_token, timeout: config.timeoutMs })
      if (res.statusCode !== 200) {
        throw new ApiError(res.statusCode, (res.data && res.data.error) || 'unauthorized')
      }
      return session.save(res.data).access_token
    })().finally(() => { refreshing = null })
  }
  return refreshing
}

function endSession() {
  session.clear()
  wx.reLaunch({ url: LOGIN_PAGE })
}

function show(err) {
  wx.showToast({ title: err.text, icon: 'none', duration: 3000 })
}

async function request(method, path, options = {}) {
  const { data, auth = true, silent = false, timeout = config.timeoutMs, headers, file } = options
  try {
    const token = auth ? (session.get() || {}).access_token : null
    let res = await send({ method, path, data, token, timeout, headers, file })
    if (res.statusCode === 401 && auth) {
      let fresh = (session.get() || {}).access_token
      if (!fresh || fresh === token) {
        try {
          fresh = await refreshOnce()
        } catch (err) {
          if (err.status === 401 || err.status === 422) endSession()
          throw err
        }
      }
      res = await send({ method, path, data, token: fresh, timeout, headers, file })
      if (res.statusCode === 401) endSession()
    }
    if (res.statusCode >= 400) {
      const body = res.data && typeof res.data === 'object' ? res.data : {}
      throw new ApiError(res.statusCode, body.error, body.message, body)
    }
    return file && file.download ? res.tempFilePath : res.data
  } catch (err) {
    const apiErr = err instanceof ApiError ? err : new ApiError(0, 'network', String(err))
    if (!silent) show(apiErr)
    throw apiErr
  }
}

module.exports = {
  request,
  get: (path, options) => request('GET', path, options),
  post: (path, data, options = {}) => request('POST', path, { ...options, data }),
  put: (path, data, options = {}) => request('PUT', path, { ...options, data }),
  patch: (path, data, options = {}) => request('PATCH', path, { ...options, data }),
  del: (path, options) => request('DELETE', path, options),
  // a local file (wx.chooseMedia's tempFilePath) sent as the multipart field ``name``
  upload: (path, filePath, options = {}) =>
    request('POST', path, { ...options, file: { upload: filePath, name: options.name || 'file' } }),
  // the file at ``path`` -> a temporary file path (for <image src>)
  download: (path, options = {}) => request('GET', path, { ...options, file: { download: true } }),
  _reset() { refreshing = null },
}
