// Logging in: wx.login -> our login; a binding ticket when this WeChat is not bound yet.
const api = require('../utils/request')
const session = require('../utils/session')
const wxp = require('../utils/wxp')

// { bound: true, user } (logged in) or { bound: false, ticket, expiresIn }
async function wechatLogin() {
  const { code } = await wxp.login()
  const out = await api.post('/api/v1/auth/wechat/login', { code }, { auth: false })
  if (out.bound) {
    session.save(out)
    return { bound: true, user: out.user }
  }
  return { bound: false, ticket: out.bind_ticket, expiresIn: out.expires_in }
}

async function bind(ticket, username, password) {
  const pair = await api.post('/api/v1/auth/wechat/bind', { ticket, username, password },
    { auth: false })
  session.save(pair)
  return pair.user
}

async function logout() {
  try {
    await api.post('/api/v1/auth/logout', undefined, { silent: true })
  } finally {
    session.clear()
  }
}

module.exports = { wechatLogin, bind, logout }
