// 负载与照明 through the mini-program's own services against a running server, the
// simulator's load controllers and a control runner (driven by
// tests/test_miniprogram_flow.py): WeChat login and bind, the site's loads and KNX groups,
// what the switch page offers one (its record's actions), dimmed (the command followed to
// its end), then switched the other way (what the page offers first) at once: refused by the server's anti-chatter rule, the
// reason in Chinese as the page shows it.
//   node loads.cjs API STANDIN APPID OPENID USERNAME PASSWORD LOAD_CODE
const [apiBase, standin, appid, openid, username, password, loadCode] = process.argv.slice(2)
const { toasts } = require('./wx-node.cjs').install({ standin, appid, openid })

require('../../config').apiBaseUrl = apiBase
require('../../config').commandPollMs = 200
const auth = require('../../services/auth')
const facility = require('../../services/facility')
const control = require('../../services/control')
const topo = require('../../utils/topology')

async function run(deviceId, action, reason, value) {
  const cmd = await control.send(deviceId, action, reason, value)
  const seen = [cmd.state]
  const settled = await control.follow(cmd.id, (c) => seen.push(c.state)).done
  return { id: cmd.id, states: seen, end: settled.state, value: settled.value }
}

;(async () => {
  const out = {}
  const first = await auth.wechatLogin()
  out.user = (await auth.bind(first.ticket, username, password)).username
  const { site } = await facility.currentSite()
  const loads = await facility.loads(site.id)
  out.loads = loads.map((d) => [d.code, d.kind]).sort()
  const target = loads.find((d) => d.code === loadCode)
  const record = await facility.device(target.id)
  const entry = await facility.deviceLatest(target.id)
  const state = topo.loadState(entry)
  out.before = { state, level: topo.loadLevel(entry), offered: topo.loadActions(record.actions, state) }
  out.dim = await run(target.id, 'dim', '夜间调暗', 40)
  try {
    out.off = await run(target.id, out.before.offered[0], '切换')
  } catch (err) {
    out.off = { status: err.status, code: err.code, text: control.reasonOf(err) }
  }
  const after = await facility.deviceLatest(target.id)
  out.after = { commanded: after.commanded && after.commanded.action }
  out.toasts = toasts
  process.stdout.write(JSON.stringify(out))
})().catch((err) => {
  process.stdout.write(JSON.stringify({ error: err.code || String(err), text: err.text,
    stack: err.stack, toasts }))
  process.exit(1)
})
