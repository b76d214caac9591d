// The 能耗 tab's data through the mini-program's own services and pure helpers against a
// running server (driven by tests/test_miniprogram_flow.py): WeChat login and bind, my
// site's overview as the page builds its cards and ranking, and the site's 15-minute trend
// and one circuit's (as after tapping a top consumer) as the chart's series (measured /
// estimated / empty slots).
//   node energy.cjs API STANDIN APPID OPENID USERNAME PASSWORD CIRCUIT_ID
const [apiBase, standin, appid, openid, username, password, circuitId] = process.argv.slice(2)
const { toasts } = require('./wx-node.cjs').install({ standin, appid, openid })

require('../../config').apiBaseUrl = apiBase
const auth = require('../../services/auth')
const facility = require('../../services/facility')
const energy = require('../../services/energy')
const en = require('../../utils/energy')

const sum = (xs) => xs.reduce((a, x) => a + (x || 0), 0)

;(async () => {
  const out = {}
  const first = await auth.wechatLogin()
  out.user = (await auth.bind(first.ticket, username, password)).username
  const { site } = await facility.currentSite()
  const overview = await energy.overview(site.id, 5)
  const mine = overview.sites.find((s) => s.site_id === site.id)
  out.site = site.id
  out.overview = mine
  out.cards = en.overviewCards(mine)
  out.rank = en.rankRows(mine.top_consumers)
  out.trends = {}
  for (const [node, id] of [['site', site.id], ['circuit', Number(circuitId)]]) {
    const trend = await energy.trend(node, id, '15min')
    const series = en.buildTrendSeries(trend)
    out.trends[node] = { points: trend.points.length, total: trend.total.import_kwh,
      slots: series.labels.length, measured: sum(series.measured), estimated: sum(series.estimated),
      estimatedCount: series.estimatedCount, missingCount: series.missingCount }
  }
  out.toasts = toasts
  process.stdout.write(JSON.stringify(out))
})().catch((err) => {
  process.stdout.write(JSON.stringify({ error: err.code || String(err), text: err.text,
    stack: err.stack, toasts }))
  process.exit(1)
})
