// `wx` for node, over real HTTP, for the live tests driven by tests/test_miniprogram_flow.py:
// wx.request / wx.uploadFile (multipart) / wx.downloadFile (to a temporary file) with
// fetch, storage in memory, toasts recorded, wx.login asking the WeChat stand-in for a
// code as WeChat's client would, wx.chooseMedia answering the files the test gives.
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

function install({ standin, appid, openid, chosen = [] }) {
  const storage = {}
  const toasts = []
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-wx-'))
  let n = 0

  function call(url, init, timeout, onAnswer, fail) {
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), timeout || 15000)
    fetch(url, { ...init, signal: controller.signal })
      .then(onAnswer)
      .catch((err) => fail({ errMsg: `request:fail ${err.name === 'AbortError' ? 'timeout' : err.message}` }))
      .finally(() => clearTimeout(timer))
    return { abort: () => controller.abort() }
  }

  global.wx = {
    request: ({ url, method = 'GET', data, header, timeout, success, fail }) => call(url,
      { method, headers: header, body: data === undefined || method === 'GET' ? undefined : JSON.stringify(data) },
      timeout, async (res) => {
        const text = await res.text()
        let body = text
        try { body = text ? JSON.parse(text) : '' } catch (e) { /* not JSON */ }
        success({ statusCode: res.status, data: body, header: {} })
      }, fail),
    uploadFile: ({ url, filePath, name, formData, header, timeout, success, fail }) => {
      const form = new FormData()
      for (const [k, v] of Object.entries(formData || {})) form.append(k, String(v))
      form.append(name, new Blob([fs.readFileSync(filePath)]), path.basename(filePath))
      return call(url, { method: 'POST', headers: header, body: form }, timeout,
        async (res) => success({ statusCode: res.status, data: await res.text() }), fail)
    },
    downloadFile: ({ url, header, timeout, success, fail }) => call(url, { headers: header }, timeout,
      async (res) => {
        const file = path.join(tmp, `download-${++n}`)
        fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()))
        success({ statusCode: res.status, tempFilePath: file })
      }, fail),
    chooseMedia: ({ success }) => success({ tempFiles: chosen.map((f) => ({ tempFilePath: f,
      size: fs.statSync(f).size, fileType: 'image' })) }),
    getStorageSync: (k) => (k in storage ? storage[k] : ''),
    setStorageSync: (k, v) => { storage[k] = v },
    removeStorageSync: (k) => { delete storage[k] },
    showToast: ({ title }) => toasts.push(title),
    reLaunch: () => {},
    login: ({ success, fail }) => fetch(`${standin}/_standin/wxa/login`, { method: 'POST',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ appid, openid }) })
      .then((r) => r.json()).then((b) => success({ code: b.code, errMsg: 'login:ok' }), fail),
    requestSubscribeMessage: ({ tmplIds, success }) =>
      success(Object.fromEntries(tmplIds.map((id) => [id, 'accept']))),
  }
  return { toasts }
}

module.exports = { install }
