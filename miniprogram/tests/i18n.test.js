// UI text: zh-CN first, English available, the choice kept in storage (gw.lang); every key
// of one dictionary is in the other, and the error tables of both languages cover the same
// codes.
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { installWx, flush } = require('./fake-wx')
const { load } = require('./pages')

const ZH = require('../i18n/zh-CN')
const EN = require('../i18n/en')

function leaves(obj, prefix = '', out = {}) {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k
    if (v && typeof v === 'object' && !Array.isArray(v)) leaves(v, key, out)
    else out[key] = v
  }
  return out
}

// Chinese counters English writes without ("2 条" -> "2")
const EMPTY_IN_EN = ['common.unitItems']

test('every key exists in both languages, none empty, the placeholders the same', () => {
  const zh = leaves(ZH)
  const en = leaves(EN)
  expect(Object.keys(en).sort()).toEqual(Object.keys(zh).sort())
  for (const [key, text] of Object.entries(zh)) {
    const other = en[key]
    if (Array.isArray(text)) { expect(other).toHaveLength(text.length); continue }
    expect(typeof other).toBe('string')
    if (text.trim() && !EMPTY_IN_EN.includes(key)) expect([key, other.trim()]).not.toEqual([key, ''])
    const names = (s) => (s.match(/\{\w+\}/g) || []).sort()
    expect([key, names(other)]).toEqual([key, names(text)])
  }
  expect(leaves(ZH)['titles.energy']).toMatch(/[\u4e00-\u9fff]/)
  expect(leaves(EN)['titles.energy']).not.toMatch(/[\u4e00-\u9fff]/)
})

test('every page that uses {{t.x.y}} in its WXML uses keys that exist', () => {
  const zh = leaves(ZH)
  const root = path.join(__dirname, '..')
  const files = ['pages', 'components'].flatMap((d) => fs.readdirSync(path.join(root, d))
    .map((p) => path.join(root, d, p, 'index.wxml'))).filter((f) => fs.existsSync(f))
  let used = 0
  for (const f of files) {
    for (const m of fs.readFileSync(f, 'utf8').matchAll(/\bt\.([\w.]+)/g)) {
      used++
      expect([path.relative(root, f), m[1], m[1] in zh]).toEqual([path.relative(root, f), m[1], true])
    }
  }
  expect(used).toBeGreaterThan(100)
})

test('both error tables match the PWA and cover the same codes', () => {
  const script = path.join(__dirname, '../scripts/sync-errors.mjs')
  const fresh = execFileSync(process.execPath, [script, '--print', 'en'], { encoding: 'utf8' })
  expect(fs.readFileSync(path.join(__dirname, '../utils/error-texts-en.js'), 'utf8')).toBe(fresh)
  const { TEXTS, TEXTS_EN } = require('../utils/errors')
  expect(Object.keys(TEXTS_EN).sort()).toEqual(Object.keys(TEXTS).sort())
})

test('t(): params, the stored language, the Chinese fallback; errors in the chosen language', () => {
  installWx()
  const i18n = require('../utils/i18n')
  const { ApiError } = require('../utils/errors')
  expect(i18n.lang()).toBe('zh-CN')
  expect(i18n.t('switch.feedsLose', { n: 3 })).toBe('下游 3 条回路将失电')
  expect(new ApiError(409, 'action_not_supported').text).toBe('该设备不支持此操作')
  i18n.setLang('en')
  expect(wx.getStorageSync('gw.lang')).toBe('en')
  expect(i18n.t('switch.feedsLose', { n: 3 })).toBe('3 downstream circuit(s) will lose power')
  expect(i18n.t('no.such.key')).toBe('no.such.key')
  expect(new ApiError(409, 'action_not_supported').text).toBe(require('../utils/error-texts-en').action_not_supported)
  expect(() => i18n.setLang('fr')).toThrow()
  wx.setStorageSync('gw.lang', 'xx')
  expect(i18n.lang()).toBe('zh-CN')
})

test('我的: the language switch changes the page and the tab bar and is kept', async () => {
  installWx({ server: (opts) => {
    if (opts.url.endsWith('/api/v1/me/notify-profile')) return { statusCode: 200, data: { channels: ['sms'] } }
    if (opts.url.includes('/api/v1/wechat/')) return { statusCode: 200, data: { bound: true, grants_left: 2 } }
    return { statusCode: 404, data: { error: 'not_found' } }
  } })
  wx.setTabBarItem = jest.fn()
  wx.setNavigationBarTitle = jest.fn()
  wx.setStorageSync('gw.session', { access_token: 'A1', refresh_token: 'R1', user: { id: 7, username: 'duty1' } })
  const { page } = load('pages/settings/index')
  await page.instance.onShow()
  await flush()
  expect(page.querySelector('#logout').dom.textContent).toBe('退出登录')
  expect(page.querySelector('.channel').dom.textContent).toContain('短信')
  expect(page.querySelector('#lang-zh-CN').dom.className).toContain('on')

  page.instance.onLanguage({ currentTarget: { dataset: { lang: 'en' } } })
  expect(wx.getStorageSync('gw.lang')).toBe('en')
  expect(page.querySelector('#logout').dom.textContent).toBe('Log out')
  expect(page.querySelector('.channel').dom.textContent).toContain('SMS')
  expect(page.querySelector('#lang-en').dom.className).toContain('on')
  expect(wx.setTabBarItem.mock.calls.map((c) => c[0].text)).toEqual(['My alarms', 'Power', 'Energy', 'Me'])
  expect(wx.setNavigationBarTitle).toHaveBeenLastCalledWith(expect.objectContaining({ title: 'Me' }))

  // another page opened now is in English from the start
  const other = load('pages/energy/index', { stubs: { 'energy-chart': { template: '<view></view>', properties: { option: { type: Object } } } } }).page
  expect(other.instance.data.t.energy.trend).toBe('Trend')
})
