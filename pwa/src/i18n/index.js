// A tiny i18n: zh-CN by default, English on request, the choice kept in localStorage.
// (vue-i18n would be 40 kB for what is a dictionary lookup and a {placeholder} replace.)
import { ref } from 'vue'
import { Locale } from 'vant'
import enUS from 'vant/es/locale/lang/en-US'
import zhCN from 'vant/es/locale/lang/zh-CN'
import { messages } from './messages.js'

export const LOCALES = [{ code: 'zh-CN', label: '简体中文' }, { code: 'en', label: 'English' }]
const KEY = 'gw.locale'
const VANT = { 'zh-CN': ['zh-CN', zhCN], en: ['en-US', enUS] }

function initial() {
  try {
    const saved = localStorage.getItem(KEY)
    if (saved && messages[saved]) return saved
  } catch { /* storage unavailable */ }
  return 'zh-CN'
}

export const locale = ref(initial())

function lookup(lang, key) {
  return key.split('.').reduce((node, part) => (node == null ? undefined : node[part]), messages[lang])
}

/** Translate ``key``; ``{name}`` placeholders are filled from ``params``. */
export function t(key, params = {}) {
  let text = lookup(locale.value, key)
  if (typeof text !== 'string') text = lookup('zh-CN', key)
  if (typeof text !== 'string') return key
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m))
}

/** Translate when a translation exists, else return ``fallback``. */
export function tOr(key, fallback) {
  const text = t(key)
  return text === key ? fallback : text
}

export function setLocale(code) {
  if (!messages[code]) return
  locale.value = code
  Locale.use(...VANT[code])
  if (typeof document !== 'undefined') document.documentElement.lang = code
  try { localStorage.setItem(KEY, code) } catch { /* ignore */ }
}

export const i18n = {
  install(app) {
    setLocale(locale.value)
    app.config.globalProperties.$t = t
  },
}
