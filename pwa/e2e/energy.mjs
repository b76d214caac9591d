// End-to-end run of the energy tab and the console's meter replacement against the real
// backend (started by tests/test_pwa_energy_e2e.py, which passes everything in the
// environment). Prints one JSON line of results; exits non-zero on the first failed step.
import { DESKTOP, PHONE, apiGet, e2eRun, env, loginHome, until } from './browser.mjs'
import { fmtKwh, zonedInput } from '../src/lib/energy.js'
import { compareQuery, spanDays, spanTrendQuery } from '../src/lib/energyAnalytics.js'
import { kpiQuery } from '../src/lib/energyKpis.js'

const PASSWORD = env('GW_PASSWORD')
const MANAGER = env('GW_MANAGER')
const ADMIN = env('GW_ADMIN')
const SITE = Number(env('GW_SITE'))
const GAP_CIRCUIT = env('GW_GAP_CIRCUIT')
const SWAP_DEVICE = env('GW_SWAP_DEVICE')
const SWAP_AT_MS = Number(env('GW_SWAP_AT_MS'))
const OLD_FINAL = Number(env('GW_SWAP_OLD_FINAL'))
const NEW_INITIAL = env('GW_SWAP_NEW_INITIAL')

async function openEnergy(page) {
  await page.evaluate((id) => localStorage.setItem('gw.site', String(id)), SITE)
  await page.goto('/energy')
  await page.locator(`[data-test=energy-trend][data-loaded="site:${SITE}:hour"]`).waitFor()
}
const trend = (page) => page.locator('[data-test=energy-trend]')
/** Chart ``nodeKey`` at ``interval`` and wait for its answer on the page. */
async function chart(page, nodeKey, interval) {
  await trend(page).locator('[data-test=trend-node]').selectOption(nodeKey)
  await trend(page).locator(`.segs [data-interval="${interval}"]`).click()
  const [node, id] = nodeKey.split(':')
  await page.locator(`[data-test=energy-trend][data-loaded="${node}:${id}:${interval}"]`).waitFor()
}
async function estimatedShown(page) {
  const tag = trend(page).locator('[data-test=trend-estimated]')
  return (await tag.count()) ? Number(await tag.getAttribute('data-n')) : 0
}
const { results, shot, step, openPage, run } = e2eRun('energy')
await run(async () => {
  const [phoneCtx, phone] = await openPage('manager', PHONE)

  await step('today equals the API', phone, async () => {
    await loginHome(phone, MANAGER, PASSWORD)
    await phone.locator('[data-test=tab-energy]').click()
    await phone.waitForURL((u) => u.pathname === '/energy')
    await openEnergy(phone)
    const tile = phone.locator('[data-test=energy-today]')
    await until(phone, () => document.querySelector('[data-test=energy-today]')?.dataset.kwh)
    const api = await apiGet(phone, '/energy/overview?top=5')
    const mine = api.sites.find((s) => s.site_id === SITE)
    const shown = (await tile.locator('.big').innerText()).trim()
    const total = await phone.locator('[data-test=energy-total]').getAttribute('data-today')
    if (Number(total) !== api.total.today_kwh) throw new Error(`total ${total} != ${api.total.today_kwh}`)
    const consumers = await phone.locator('[data-test=energy-consumer]').count()
    if (consumers !== mine.top_consumers.length || !consumers) throw new Error(`consumers ${consumers}`)
    results['today equals the API'] = { shown, expected: fmtKwh(mine.today_kwh), kwh: await tile.getAttribute('data-kwh'),
      api: mine.today_kwh, total }
    await shot(phone, 'phone-energy')
  })

  await step('trend granularity and estimated slots', phone, async () => {
    const intervals = [await trend(phone).getAttribute('data-interval')]
    for (const i of ['15min', 'day', 'month']) {
      await trend(phone).locator(`.segs [data-interval="${i}"]`).click()
      await phone.locator(`[data-test=energy-trend][data-loaded="site:${SITE}:${i}"] canvas`).waitFor()
      intervals.push(i)
    }
    await chart(phone, `circuit:${GAP_CIRCUIT}`, '15min')
    await trend(phone).locator('canvas').waitFor()
    const gap = await estimatedShown(phone)
    const legend = (await trend(phone).getAttribute('data-legend')).split(',')
    await trend(phone).scrollIntoViewIfNeeded()
    await shot(phone, 'phone-energy-trend')
    await chart(phone, `device:${SWAP_DEVICE}`, '15min')
    results['trend granularity and estimated slots'] = { intervals, gap_estimated: gap, legend,
      swap_before: await estimatedShown(phone) }
  })

  await step('balance flagged', phone, async () => {
    const loss = phone.locator('[data-test=balance-loss]')
    await loss.waitFor()
    const tag = phone.locator('[data-test=balance-flagged]')
    await tag.waitFor()
    results['balance flagged'] = { flagged: await loss.getAttribute('data-flagged'), tag: await tag.innerText(),
      feeder: await phone.locator('[data-test=energy-balance]').getAttribute('data-feeder') }
    await phone.locator('[data-test=energy-balance]').scrollIntoViewIfNeeded()
    await shot(phone, 'phone-energy-balance')
  })

  await step('analysis equals the API', phone, async () => {
    // YoY of the site, share and ranking of this month, the departments' cost and carbon:
    // what the page shows is what the API answers to the same queries
    const q = (o) => new URLSearchParams(o).toString()
    const site = (await apiGet(phone, '/energy/overview?top=5')).sites.find((s) => s.site_id === SITE)
    await chart(phone, `site:${SITE}`, 'hour') // the comparison follows the charted node
    const cmp = phone.locator(`[data-test=energy-compare][data-loaded="site:${SITE}:yoy"]`)
    await cmp.scrollIntoViewIfNeeded()
    await cmp.locator('canvas').waitFor()
    const apiCmp = await apiGet(phone, `/energy/compare?${q({ node: 'site', node_id: SITE, ...compareQuery('yoy', site.today, site.timezone) })}`)
    const days = spanDays('month', site.today)
    const items = async (sel) => phone.locator(sel).evaluateAll((els) => els.map((e) => [e.dataset.id, Number(e.dataset.kwh), Number(e.dataset.cost)]))
    const round = (rows) => rows.map(([id, kwh, cost]) => [String(id), Math.round(kwh * 1e6) / 1e6, Math.round(cost * 1e6) / 1e6])
    await phone.locator('[data-test=energy-share][data-loaded^="area:"] [data-test=share-item]').first().waitFor()
    const apiShare = await apiGet(phone, `/energy/share?${q({ site_id: SITE, by: 'area', ...days })}`)
    const rank = phone.locator('[data-test=energy-ranking]')
    await rank.locator('[data-by=circuit]').click()
    await phone.locator('[data-test=energy-ranking][data-loaded^="circuit:"]').waitFor()
    const apiRank = await apiGet(phone, `/energy/ranking?${q({ site_id: SITE, by: 'circuit', top: 10, ...days })}`)
    const dept = phone.locator('[data-test=energy-departments][data-loaded=month]')
    await dept.scrollIntoViewIfNeeded()
    await dept.locator('[data-test=department-row]').first().waitFor()
    const tq = spanTrendQuery('month', site.today, site.timezone)
    const apiDept = []
    for (const a of apiShare.items) {
      const tr = await apiGet(phone, `/energy/trend?${q({ node: 'area', node_id: a.area_id, ...tq })}`)
      apiDept.push([a.area_id, tr.total.import_kwh, tr.total.cost, tr.total.carbon_kg])
    }
    const shownDept = await phone.locator('[data-test=department-row]').evaluateAll((els) => els.map((e) => [e.dataset.id, Number(e.dataset.kwh), Number(e.dataset.cost), Number(e.dataset.carbon)]))
    const byId = (rows) => rows.map(([id, k, c, g]) => [String(id), ...[k, c, g].map((v) => Math.round(v * 1e6) / 1e6)]).sort()
    results['analysis equals the API'] = {
      compare_kwh: Number(await cmp.getAttribute('data-kwh')), api_compare_kwh: apiCmp.total.import_kwh,
      legend: (await cmp.getAttribute('data-legend')).split(','),
      share: round(await items('[data-test=share-item]')), api_share: round(apiShare.items.map((i) => [i.area_id, i.import_kwh, i.cost])),
      share_cost: apiShare.total_cost,
      circuits: round(await items('[data-test=ranking-item]')), api_circuits: round(apiRank.items.map((i) => [i.circuit_id, i.import_kwh, i.cost])),
      departments: byId(shownDept), api_departments: byId(apiDept),
      dept_cost: Number(await dept.getAttribute('data-cost')), dept_carbon: Number(await dept.getAttribute('data-carbon')) }
    await shot(phone, 'phone-energy-analysis')
  })

  await step('departments drill into sub-areas', phone, async () => {
    // 办公区 (BGQ) holds the office feeder and, in its sub-area 指挥中心 (BGQ-ZH), the
    // security supply: share and ranking drill into it, show what the API answers for
    // parent_area_id=BGQ, chart the sub-area's trend, and come back by the breadcrumb
    const q = (o) => new URLSearchParams(o).toString()
    const site = (await apiGet(phone, '/energy/overview?top=5')).sites.find((s) => s.site_id === SITE)
    const days = spanDays('month', site.today)
    const top = await apiGet(phone, `/energy/share?${q({ site_id: SITE, by: 'area', ...days })}`)
    const bgq = top.items.find((i) => i.code === 'BGQ')
    const share = phone.locator('[data-test=energy-share]')
    const rank = phone.locator('[data-test=energy-ranking]')
    await rank.locator('[data-by=area]').click()
    await share.scrollIntoViewIfNeeded()
    await share.locator(`[data-test=share-item][data-id="${bgq.area_id}"] [data-test=share-drill]`).click()
    await phone.locator(`[data-test=energy-share][data-loaded$=":${bgq.area_id}"] [data-test=share-item]`).first().waitFor()
    await rank.locator(`[data-test=ranking-crumbs][data-parent="${bgq.area_id}"]`).waitFor()
    await rank.locator('[data-test=ranking-item]').first().waitFor()
    const apiShare = await apiGet(phone, `/energy/share?${q({ site_id: SITE, by: 'area', parent_area_id: bgq.area_id, ...days })}`)
    const apiRank = await apiGet(phone, `/energy/ranking?${q({ site_id: SITE, by: 'area', parent_area_id: bgq.area_id, top: 10, ...days })}`)
    const rows = async (sel) => phone.locator(sel).evaluateAll((els) => els.map((e) => [e.dataset.id, Math.round(Number(e.dataset.kwh) * 1e6) / 1e6]))
    const r6 = (items) => items.map((i) => [String(i.area_id), Math.round(i.import_kwh * 1e6) / 1e6])
    const crumbs = await share.locator('[data-test=share-crumbs] [data-test=crumb]').allInnerTexts()
    const inside = { share: await rows('[data-test=share-item]'), api_share: r6(apiShare.items),
      ranking: await rows('[data-test=ranking-item]'), api_ranking: r6(apiRank.items), crumbs, parent_kwh: bgq.import_kwh }
    await share.locator('canvas').waitFor()
    await shot(phone, 'phone-energy-drill')
    // the sub-area's trend: the trend card charts it
    const sub = apiShare.items[0]
    await share.locator(`[data-test=share-item][data-id="${sub.area_id}"] [data-test=share-trend]`).click()
    await phone.locator(`[data-test=energy-trend][data-node="area:${sub.area_id}"][data-loaded^="area:${sub.area_id}:"]`).waitFor()
    const trendKwh = Number(await phone.locator('[data-test=trend-total]').getAttribute('data-kwh'))
    const trendApi = await apiGet(phone, `/energy/trend?${q({ node: 'area', node_id: sub.area_id, interval: await trend(phone).getAttribute('data-interval') })}`)
    // back to all departments by the breadcrumb (the ranking's)
    await rank.scrollIntoViewIfNeeded()
    await rank.locator('[data-test=ranking-crumbs] [data-test=crumb][data-id=""]').click()
    await phone.locator('[data-test=energy-share][data-loaded$=":"] [data-test=share-item]').first().waitFor()
    results['departments drill into sub-areas'] = { ...inside, sub: sub.code, trend_kwh: trendKwh,
      api_trend_kwh: trendApi.total.import_kwh, back: await rows('[data-test=share-item]'), api_back: r6(top.items) }
  })

  await step('KPIs equal the API', phone, async () => {
    // the site's KPIs this year, per person then per m²: each month's kWh and KPI and the
    // totals are the API's answer to the same query
    const q = (o) => new URLSearchParams(o).toString()
    const site = (await apiGet(phone, '/energy/overview?top=5')).sites.find((s) => s.site_id === SITE)
    const card = phone.locator(`[data-test=energy-kpis][data-loaded="site:${SITE}:year"]`)
    await card.scrollIntoViewIfNeeded()
    await card.locator('[data-test=kpi-row]').first().waitFor()
    const api = await apiGet(phone, `/energy/kpis?${q(kpiQuery(`site:${SITE}`, 'year', site.today))}`)
    const r6 = (v) => (v === null || v === '' || v === undefined ? null : Math.round(Number(v) * 1e6) / 1e6)
    const rows = await card.locator('[data-test=kpi-row]').evaluateAll((els) => els.map((e) => [e.dataset.month, e.dataset.kwh, e.dataset.value]))
    const perPerson = Number(await card.getAttribute('data-total'))
    await card.locator('canvas').waitFor()
    await shot(phone, 'phone-energy-kpis')
    await card.locator('[data-kind=floor_m2]').click()
    await phone.locator(`[data-test=energy-kpis][data-kind=floor_m2]`).waitFor()
    const thisMonth = api.points.find((p) => String(p.month).slice(0, 7) === site.today.slice(0, 7))
    results['KPIs equal the API'] = {
      title: await card.locator('h3').innerText(),
      rows: rows.map(([m, k, v]) => [m, r6(k), r6(v)]),
      api_rows: api.points.map((p) => [String(p.month).slice(0, 7), r6(p.import_kwh), r6(p.kwh_per_person)]),
      per_person: perPerson, api_this_month_kwh: thisMonth?.import_kwh ?? 0,
      intensity: Number(await card.getAttribute('data-intensity')),
      kind: await card.getAttribute('data-kind'),
      per_m2_tile: Number(await card.getAttribute('data-total')), api_per_m2: api.total.kwh_per_m2 }
  })

  const [, desk] = await openPage('manager-desktop', DESKTOP)
  await step('desktop energy', desk, async () => {
    await loginHome(desk, MANAGER, PASSWORD)
    await openEnergy(desk)
    await desk.locator('[data-test=energy-trend] canvas').waitFor()
    await desk.locator('[data-test=balance-loss]').waitFor()
    await shot(desk, 'desktop-energy')
    await desk.locator('[data-test=energy-departments] [data-test=department-row]').first().waitFor()
    await desk.locator('[data-test=energy-share] canvas').waitFor()
    await shot(desk, 'desktop-energy-analysis')
    const kpis = desk.locator(`[data-test=energy-kpis][data-loaded="site:${SITE}:year"]`)
    await kpis.scrollIntoViewIfNeeded()
    await kpis.locator('canvas').waitFor()
    await shot(desk, 'desktop-energy-kpis')
  })

  const [, admin] = await openPage('admin', DESKTOP)
  const form = admin.locator('[data-test=admin-meters]')
  await step('replacement refused under the field', admin, async () => {
    await loginHome(admin, ADMIN, PASSWORD)
    await admin.goto('/admin/users')
    await admin.locator('[data-menu=meters]').click()
    await admin.waitForURL((u) => u.pathname === '/admin/meters')
    await form.locator(`[data-test=replace-device] option[value="${SWAP_DEVICE}"]`).waitFor({ state: 'attached' })
    await form.locator('[data-test=replace-device]').selectOption(SWAP_DEVICE)
    await form.locator('[data-counter=energy_import] .muted').waitFor() // its latest reading
    // typed as the site's wall clock (the browser's zone is not the site's: UTC here)
    const zone = await form.locator('[data-test=replace-zone]').getAttribute('data-zone')
    await form.locator('[data-test=replace-at]').fill(zonedInput(new Date(SWAP_AT_MS).toISOString(), zone))
    await form.locator('[data-test=old-energy_import]').fill(String(OLD_FINAL - 10))
    await form.locator('[data-test=new-energy_import]').fill(NEW_INITIAL)
    await form.locator('[data-test=replace-note]').fill('e2e 换表')
    await form.locator('[data-test=replace-save]').click()
    const field = form.locator('[data-field="readings.energy_import.old_final"]')
    await field.waitFor()
    results['replacement refused under the field'] = { field: await field.innerText(),
      fields: await form.locator('[data-test=replace-error]').getAttribute('data-fields'),
      box: await form.locator('[data-test=replace-error]').innerText() }
    await shot(admin, 'desktop-meter-refused')
  })

  await step('replacement recorded and the trend re-rolled', admin, async () => {
    await form.locator('[data-test=old-energy_import]').fill(String(OLD_FINAL))
    await form.locator('[data-test=replace-save]').click()
    await admin.locator('[data-test=replace-row]').first().waitFor()
    const rows = await admin.locator('[data-test=replace-row]').count()
    const shownAt = await admin.locator('[data-test=replace-row] td').first().innerText()
    await shot(admin, 'desktop-meter-recorded')
    await openEnergy(phone)
    await chart(phone, `device:${SWAP_DEVICE}`, '15min')
    await trend(phone).locator('canvas').waitFor()
    results['replacement recorded and the trend re-rolled'] = {
      before: results['trend granularity and estimated slots'].swap_before, after: await estimatedShown(phone), rows,
      shown_at: shownAt, expected_at: zonedInput(new Date(SWAP_AT_MS).toISOString(), 'Asia/Shanghai', ' ') }
    await trend(phone).scrollIntoViewIfNeeded()
    await shot(phone, 'phone-energy-rerolled')
  })

  await step('energy parameters in the console', admin, async () => {
    await admin.locator('[data-menu=energy]').click()
    await admin.waitForURL((u) => u.pathname === '/admin/energy')
    const row = admin.locator('[data-test=tariff-row]').first()
    await row.waitFor()
    await admin.locator('[data-test=admin-carbon] [data-test=row-edit]').first().waitFor()
    results['energy parameters in the console'] = { from: await row.getAttribute('data-from'), text: await row.innerText(),
      carbon: await admin.locator('[data-test=admin-carbon] tbody tr').count() }
    await shot(admin, 'desktop-energy-parameters')
  })

  await step('offline keeps the last energy data', phone, async () => {
    // the site's hour trend, the overview and the balance were fetched after the reload
    const today = await phone.locator('[data-test=energy-today]').getAttribute('data-kwh')
    await phone.waitForTimeout(500)
    await phoneCtx.setOffline(true)
    await phone.reload() // the service worker serves the shell; the data comes from the cache
    await phone.locator('[data-test=stale-banner]').waitFor()
    await phone.locator(`[data-test=energy-trend][data-loaded="site:${SITE}:hour"] canvas`).waitFor()
    await phone.locator('[data-test=balance-loss]').waitFor()
    results['offline keeps the last energy data'] = { today,
      offline: await phone.locator('[data-test=energy-today]').getAttribute('data-kwh') }
    await shot(phone, 'phone-energy-offline')
    await phoneCtx.setOffline(false)
  })
})
