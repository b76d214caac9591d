// The UI language: zh-CN first, English available; chosen in 我的 and kept in storage
// (gw.lang). ``t('switch.confirmed', {what})`` for code, ``behavior`` for pages and
// components: it puts the current dictionary in ``data.t`` (WXML: {{t.energy.trend}}),
// sets the page's title (``titleKey``) and the tab bar texts, and refreshes them when
// the page is shown again after the language changed.
const DICTS = { 'zh-CN': require('../i18n/zh-CN'), en: require('../i18n/en') }
const LANGS = Object.keys(DICTS)
const KEY = 'gw.lang'

function lang() {
  const kept = wx.getStorageSync(KEY)
  return LANGS.includes(kept) ? kept : 'zh-CN'
}

function setLang(value) {
  if (!LANGS.includes(value)) throw new Error(`unknown language ${value}`)
  wx.setStorageSync(KEY, value)
  applyTabBar()
}

const dict = () => DICTS[lang()]

function lookup(d, path) {
  return path.split('.').reduce((x, k) => (x && typeof x === 'object' ? x[k] : undefined), d)
}

// The text at ``path`` ('a.b.c'), ``{name}`` replaced from ``params``; the Chinese text
// when the language lacks it, the path itself when neither has it.
function t(path, params) {
  let s = lookup(dict(), path)
  if (s === undefined) s = lookup(DICTS['zh-CN'], path)
  if (typeof s !== 'string') return s === undefined ? path : s
  return params ? s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m)) : s
}

function applyTabBar() {
  if (typeof wx.setTabBarItem !== 'function') return
  dict().tabs.forEach((text, index) => wx.setTabBarItem({ index, text, fail() {} }))
}

function apply(self) {
  const l = lang()
  if (self.data.lang === l) return
  self.setData({ t: dict(), lang: l })
  const key = self.data.titleKey
  if (key && typeof wx.setNavigationBarTitle === 'function') {
    wx.setNavigationBarTitle({ title: t(`titles.${key}`), fail() {} })
  }
}

let behavior = null
module.exports = { lang, setLang, t, dict, applyTabBar, LANGS, DICTS,
  // made on first use: Behavior() is the mini-program's global (miniprogram-simulate's in tests)
  get behavior() {
    if (!behavior) {
      behavior = Behavior({
        data: { t: {}, lang: '' },
        lifetimes: { attached() { apply(this) } },
        pageLifetimes: { show() { apply(this) } },
        methods: { i18nRefresh() { apply(this) } },
      })
    }
    return behavior
  },
}
