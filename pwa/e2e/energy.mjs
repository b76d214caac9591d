// End-to-end run of the energy tab and the console's meter replacement against the real
// backend (started by tests/test_pwa_energy_e2e.py, which passes everything in the
// environment). Prints one JSON line of results; exits non-zero on the first failed step.
import { DESKTOP, PHONE, apiGet, e2eRun, env, loginHome, until } from './browser.mjs'
import { fmtKwh } from '../src/lib/energy.js'

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
/** ``ms`` as a datetime-local value in the browser's own zone. */
function localInput(page, ms) {
  return page.evaluate((x) => {
    const d = new Date(x)
    const p = (n) => String(n).padStart(2, '0')
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`
  }, ms)
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

  const [, desk] = await openPage('manager-desktop', DESKTOP)
  await step('desktop energy', desk, async () => {
    await loginHome(desk, MANAGER, PASSWORD)
    await openEnergy(desk)
    await desk.locator('[data-test=energy-trend] canvas').waitFor()
    await desk.locator('[data-test=balance-loss]').waitFor()
    await shot(desk, 'desktop-energy')
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
    await form.locator('[data-test=replace-at]').fill(await localInput(admin, SWAP_AT_MS))
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
    await shot(admin, 'desktop-meter-recorded')
    await openEnergy(phone)
    await chart(phone, `device:${SWAP_DEVICE}`, '15min')
    await trend(phone).locator('canvas').waitFor()
    results['replacement recorded and the trend re-rolled'] = {
      before: results['trend granularity and estimated slots'].swap_before, after: await estimatedShown(phone), rows }
    await trend(phone).scrollIntoViewIfNeeded()
    await shot(phone, 'phone-energy-rerolled')
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
