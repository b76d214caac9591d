// The mini-program's own request wrapper and services against a running server and the
// WeChat stand-in (driven by tests/test_miniprogram_flow.py): `wx` is a thin layer over
// real HTTP (wx-node.cjs), wx.login asks the stand-in for a code as WeChat's client would.
//   node tests/live/flow.cjs API_BASE STANDIN_URL WXA_APPID OPENID USERNAME PASSWORD
const [apiBase, standin, appid, openid, username, password] = process.argv.slice(2)
const { toasts } = require('./wx-node.cjs').install({ standin, appid, openid })

require('../../config').apiBaseUrl = apiBase
const auth = require('../../services/auth')
const alarms = require('../../services/alarms')
const wechat = require('../../services/wechat')
const session = require('../../utils/session')

;(async () => {
  const out = {}
  const first = await auth.wechatLogin()
  out.first_bound = first.bound
  out.user = (await auth.bind(first.ticket, username, password)).username
  const mine = await alarms.mine()
  out.alarms = mine.map((a) => ({ id: a.id, state: a.state, level: a.level }))
  const active = mine.find((a) => a.state === 'active')
  out.acknowledged = (await alarms.acknowledge(active.id)).state
  await alarms.comment(active.id, '已到现场')
  const status = await wechat.status()
  out.grants_after = (await wechat.askForGrant(status.subscribe_template_id)).grants_left
  // an access token the server no longer takes: one refresh, then the request again
  session.save({ ...session.get(), access_token: 'expired.token.value' })
  out.after_refresh = (await alarms.detail(active.id)).timeline.map((e) => e.kind)
  out.refreshed = session.get().access_token !== 'expired.token.value'
  out.second_bound = (await auth.wechatLogin()).bound
  out.toasts = toasts
  process.stdout.write(JSON.stringify(out))
})().catch((err) => {
  process.stdout.write(JSON.stringify({ error: err.code || String(err), text: err.text, toasts }))
  process.exit(1)
})
