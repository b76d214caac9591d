// The token pair and the user, in the mini-program's storage (never a password).
const KEY = 'gw.session'

function get() {
  return wx.getStorageSync(KEY) || null
}

function save(pair) {
  const old = get() || {}
  const next = {
    access_token: pair.access_token, refresh_token: pair.refresh_token,
    user: pair.user || old.user || null,
  }
  wx.setStorageSync(KEY, next)
  return next
}

function clear() {
  wx.removeStorageSync(KEY)
}

module.exports = { get, save, clear, KEY }
